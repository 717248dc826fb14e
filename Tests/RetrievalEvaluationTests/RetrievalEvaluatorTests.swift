import Foundation
import EmbeddingIO
import EmbeddingMath
import RetrievalEvaluation
import Testing

@Suite struct RetrievalEvaluatorTests {
    @Test func endToEndOnATinyCorpus() {
        // 2-d corpus; query 0 points along x, query 1 along y.
        let corpus = Matrix([[1, 0.1], [0.1, 1], [1, -0.5], [-1, 0]])
        let queries = Matrix([[1, 0], [0, 1], [1, 1]])
        // Query 0: cosines 0.995 (d0), 0.0995 (d1), 0.894 (d2), -1 (d3) → ranking d0, d2, d1, d3.
        // Query 1 (row 1): ranking d1, d0, d3, d2 (d3 scores 0 and beats d2's -0.447).
        let judged = [
            JudgedQuery(queryIndex: 0, grades: [2: 1]),
            JudgedQuery(queryIndex: 1, grades: [1: 2, 0: 1]),
        ]
        let result = RetrievalEvaluator(judgements: judged).evaluate(queries: queries, corpus: corpus, dimensions: [2])[0]
        // Query 0: relevant at rank 2 → nDCG = (1/log2 3)/1, RR = 1/2. Query 1: ideal order → nDCG = 1, RR = 1.
        #expect(abs(result.perQuery[0].ndcg - 1 / log2(3.0)) < 1e-12)
        #expect(result.perQuery[0].reciprocalRank == 0.5)
        #expect(abs(result.perQuery[1].ndcg - 1) < 1e-12)
        #expect(abs(result.ndcg - (1 / log2(3.0) + 1) / 2) < 1e-12)
        #expect(result.mrr == 0.75 && result.recall == 1)
        // Standard error of two values x, y: |x − y| / 2.
        #expect(abs(result.standardError(\.ndcg) - (1 - 1 / log2(3.0)) / 2) < 1e-12)
    }

    @Test func prefixOneUsesOnlyTheFirstCoordinate() {
        // At m = 1 every vector is ±1: d0, d1, d2 tie at +1 and keep corpus order; d3 is −1.
        let corpus = Matrix([[1, 0.1], [0.1, 1], [1, -0.5], [-1, 0]])
        let judged = [JudgedQuery(queryIndex: 0, grades: [1: 1])]
        let result = RetrievalEvaluator(judgements: judged).evaluate(queries: Matrix([[2, 7]]), corpus: corpus, dimensions: [1])[0]
        #expect(abs(result.ndcg - 1 / log2(3.0)) < 1e-12)
    }

    @Test func defaultDimensions() {
        #expect(RetrievalEvaluator.defaultDimensions(for: 384) == [16, 32, 64, 128, 256, 384])
        #expect(RetrievalEvaluator.defaultDimensions(for: 768) == [16, 32, 64, 128, 256, 512, 768])
        #expect(RetrievalEvaluator.defaultDimensions(for: 256) == [16, 32, 64, 128, 256])
        #expect(RetrievalEvaluator.defaultDimensions(for: 8) == [8])
    }

    @Test func unknownIdsAreCountedNotFatal() {
        let qrels = Qrels(path: "q.tsv", judgements: ["q1": ["d1": 1, "dX": 2], "qX": ["d1": 1], "q2": ["d2": 0]],
                          queryOrder: ["q1", "qX", "q2"])
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: ["q1", "q2"], corpusIds: ["d1", "d2"])
        #expect(resolved.queries.map(\.queryIndex) == [0, 1])
        #expect(resolved.queries[0].grades == [0: 1] && resolved.queries[0].idealGrades == [2, 1])
        #expect(resolved.unknownQueryIds == ["qX"] && resolved.unknownDocumentRows == 1)
        let warning = resolved.warning(qrelsPath: "q.tsv") ?? ""
        #expect(warning.contains("q.tsv") && warning.contains("1 judged queries are not in the query set"))
        #expect(warning.contains("1 judgement rows name documents not in the corpus"))
        #expect(ResolvedJudgements(qrels: Qrels(judgements: ["q1": ["d1": 1]]), queryIds: ["q1"], corpusIds: ["d1"])
            .warning(qrelsPath: "x") == nil)
    }
}
