import EmbeddingMath
import RetrievalEvaluation
import Testing
import VectorSearch

@Suite struct NeighbourRecallTests {
    /// Four unit vectors in 3-d whose cosines are worked out by hand below.
    ///
    /// Full-d cosines: r0·r1 = 0.8, r0·r2 = 0.6, r0·r3 = 0, r1·r2 = 0.192, r1·r3 = 0.36, r2·r3 = 0.224, so the
    /// nearest other row is r1, r0, r0, r1. On the first two coordinates, re-normalised:
    /// r0' = (1, 0), r1' = (0.9119, −0.4104), r2' = (0.6, 0.8), r3' = (0, 1): r0' → r1' (0.912), r1' → r0' (0.912),
    /// r2' → r3' (0.8 against 0.6 for r0'), r3' → r2' (0.8 against 0 for r0'). Recall@1 at m = 2 is therefore
    /// (1, 1, 0, 0): mean 0.5, standard error s/√n = √(1/3)/2 = 0.288675; at m = 3 every row finds its own.
    let corpus = Matrix(rows: 4, columns: 3, storage: [
        1, 0, 0,
        0.8, -0.36, 0.48,
        0.6, 0.8, 0,
        0, 0.28, 0.96,
    ])

    @Test func handComputedRecallAtEachSize() throws {
        var evaluator = NeighbourRecallEvaluator()
        evaluator.k = 1
        evaluator.blockRows = 3  // two blocks: the stream joins lists across block boundaries
        let results = try evaluator.evaluate(corpus: corpus, pipeline: try EmbeddingPipeline(IdentityTransform(dimension: 3)), dimensions: [2, 3])
        #expect(results.map(\.dimension) == [2, 3])
        #expect(results[0].perQuery == [1, 1, 0, 0])
        #expect(results[0].mean == 0.5)
        #expect(abs(results[0].standardError - 0.288675) < 1e-6)
        #expect(results[1].perQuery == [1, 1, 1, 1])
        #expect(results[1].standardError == 0)
    }

    /// a = (1, 0), b = (0.8, 0.6), c = (0.6, 0.8), d = (0, 1): unit rows with mean μ = (0.6, 0.6). Original cosines
    /// ab 0.8, ac 0.6, ad 0, bc 0.96, bd 0.6, cd 0.8, so the nearest other rows are b, c, b, c. Centred and
    /// re-normalised: a' = (0.5547, −0.8321), b' = (1, 0), c' = (0, 1), d' = (−0.8321, 0.5547); cosines a'b' 0.5547,
    /// a'c' −0.8321, a'd' −0.9231, b'c' 0, b'd' −0.8321, c'd' 0.5547, so the nearest are b', a', d', c'. The identity
    /// at full size finds b, c, b, c: recall@1 (1, 1, 1, 1) against the original reference and (1, 0, 0, 1) against
    /// the centred one.
    @Test func aCentredReferenceRanksTheCentredVectors() throws {
        let rows = Matrix(rows: 4, columns: 2, storage: [1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1])
        let mean = try NeighbourRecallEvaluator.normalisedMean(of: rows, blockRows: 3)
        #expect(mean.count == 2 && abs(mean[0] - 0.6) < 1e-6 && abs(mean[1] - 0.6) < 1e-6)
        var evaluator = NeighbourRecallEvaluator()
        evaluator.k = 1
        evaluator.blockRows = 3
        let identity = IdentityTransform(dimension: 2)
        #expect(try evaluator.evaluate(corpus: rows, pipeline: try EmbeddingPipeline(identity), dimensions: [2])[0].perQuery == [1, 1, 1, 1])
        evaluator.referenceCentre = mean
        #expect(try evaluator.evaluate(corpus: rows, pipeline: try EmbeddingPipeline(identity), dimensions: [2])[0].perQuery == [1, 0, 0, 1])
    }

    @Test func givenQueriesAreNotExcludedFromTheirOwnLists() throws {
        // The first query equals r2: its nearest document is r2 itself (cosine 1), in full and at m = 2.
        // The second, (0.1, 0.995, 0) (norm 1.0000), is nearest r2 in full (0.06 + 0.796 = 0.856 against 0.279
        // for r3), but at m = 2 r3' = (0, 1) scores 0.995 and wins: recall (1, 0).
        var evaluator = NeighbourRecallEvaluator()
        evaluator.k = 1
        let queries = Matrix(rows: 2, columns: 3, storage: [0.6, 0.8, 0, 0.1, 0.995, 0])
        let results = try evaluator.evaluate(corpus: corpus, pipeline: try EmbeddingPipeline(IdentityTransform(dimension: 3)),
                                             dimensions: [2], queries: queries)
        #expect(results[0].perQuery == [1, 0])
    }

    @Test func theSampleIsSeededSortedAndWithoutRepeats() {
        var evaluator = NeighbourRecallEvaluator()
        evaluator.sampleSize = 50
        let rows = evaluator.sampledRows(count: 1000)
        #expect(rows.count == 50 && Set(rows).count == 50 && rows == rows.sorted() && rows.allSatisfy { $0 < 1000 })
        #expect(evaluator.sampledRows(count: 1000) == rows)
        evaluator.seed = 1
        #expect(evaluator.sampledRows(count: 1000) != rows)
        // A sample at least as large as the corpus is the whole corpus.
        #expect(evaluator.sampledRows(count: 30) == Array(0 ..< 30))
    }

    @Test func theResultDoesNotDependOnTheThreadCount() throws {
        var generator = SeededGenerator(seed: 4)
        let big = Matrix.gaussian(rows: 3000, columns: 16, generator: &generator)
        var evaluator = NeighbourRecallEvaluator()
        evaluator.sampleSize = 300
        evaluator.blockRows = 1000
        let results = try [1, 2, 3].map { threads in
            try Parallelism.$threads.withValue(threads) {
                try evaluator.evaluate(corpus: big, pipeline: try EmbeddingPipeline(IdentityTransform(dimension: 16)), dimensions: [4, 8, 16])
            }
        }
        #expect(results[0] == results[1] && results[1] == results[2])
        #expect(results[0][2].mean == 1)
        #expect(results[0][0].mean < results[0][1].mean)
    }
}
