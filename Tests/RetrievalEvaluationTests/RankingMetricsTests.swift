import Foundation
import RetrievalEvaluation
import Testing

@Suite struct RankingMetricsTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    @Test func gradedNDCGByHand() {
        // Ranking d0..d4 with grades 0, 2, 1, 0, 2 and one more judged doc (grade 1) never ranked.
        // DCG@5 = 2/log2(3) + 1/log2(4) + 2/log2(6)
        // ideal grades 2, 2, 1, 1: IDCG@5 = 2/1 + 2/log2(3) + 1/2 + 1/log2(5)
        let judged = JudgedQuery(queryIndex: 0, grades: [1: 2, 2: 1, 4: 2, 9: 1, 3: 0])
        let dcg = 2 / log2(3.0) + 0.5 + 2 / log2(6.0)
        let idcg = 2 + 2 / log2(3.0) + 0.5 + 1 / log2(5.0)
        #expect(close(RankingMetrics.ndcg(ranking: [0, 1, 2, 3, 4], judgements: judged, k: 5), dcg / idcg))
        // At k = 2 only ranks 1-2 count: DCG = 2/log2(3), IDCG = 2 + 2/log2(3).
        #expect(close(RankingMetrics.ndcg(ranking: [0, 1, 2, 3, 4], judgements: judged, k: 2), (2 / log2(3.0)) / (2 + 2 / log2(3.0))))
        #expect(close(RankingMetrics.recall(ranking: [0, 1, 2, 3, 4], judgements: judged, k: 3), 2.0 / 4))
        #expect(close(RankingMetrics.reciprocalRank(ranking: [0, 1, 2, 3, 4], judgements: judged, k: 10), 0.5))
    }

    @Test func perfectRankingScoresOne() {
        let judged = JudgedQuery(queryIndex: 0, grades: [5: 2, 6: 1])
        #expect(close(RankingMetrics.ndcg(ranking: [5, 6, 1], judgements: judged, k: 10), 1))
        // Swapping the two: DCG = 1 + 2/log2(3), IDCG = 2 + 1/log2(3).
        #expect(close(RankingMetrics.ndcg(ranking: [6, 5], judgements: judged, k: 10), (1 + 2 / log2(3.0)) / (2 + 1 / log2(3.0))))
    }

    @Test func queryWithNoRelevantDocumentScoresZero() {
        let judged = JudgedQuery(queryIndex: 0, grades: [0: 0, 1: -1])
        #expect(judged.relevantCount == 0)
        #expect(RankingMetrics.ndcg(ranking: [0, 1], judgements: judged, k: 10) == 0)
        #expect(RankingMetrics.recall(ranking: [0, 1], judgements: judged, k: 100) == 0)
        #expect(RankingMetrics.reciprocalRank(ranking: [0, 1], judgements: judged, k: 10) == 0)
    }

    @Test func kLargerThanTheRanking() {
        // Corpus of 2 documents, k = 10: only the ranked positions count; the ideal list is not padded.
        let judged = JudgedQuery(queryIndex: 0, grades: [1: 1])
        #expect(close(RankingMetrics.ndcg(ranking: [0, 1], judgements: judged, k: 10), 1 / log2(3.0)))
        #expect(RankingMetrics.recall(ranking: [0, 1], judgements: judged, k: 100) == 1)
        #expect(RankingMetrics.reciprocalRank(ranking: [0, 1], judgements: judged, k: 10) == 0.5)
    }

    @Test func relevantDocumentBelowTheCutoff() {
        let judged = JudgedQuery(queryIndex: 0, grades: [11: 1])
        let ranking = Array(0 ..< 12)
        #expect(RankingMetrics.ndcg(ranking: ranking, judgements: judged, k: 10) == 0)
        #expect(RankingMetrics.reciprocalRank(ranking: ranking, judgements: judged, k: 10) == 0)
        #expect(close(RankingMetrics.reciprocalRank(ranking: ranking, judgements: judged, k: 12), 1.0 / 12))
    }

    @Test func idealIncludesJudgedDocumentsMissingFromTheCorpus() {
        // One relevant document ranked first, one relevant document the corpus lacks:
        // DCG = 1, IDCG = 1 + 1/log2(3).
        let judged = JudgedQuery(queryIndex: 0, grades: [3: 1], idealGrades: [1, 1])
        #expect(close(RankingMetrics.ndcg(ranking: [3], judgements: judged, k: 10), 1 / (1 + 1 / log2(3.0))))
        #expect(RankingMetrics.recall(ranking: [3], judgements: judged, k: 10) == 0.5)
    }
}
