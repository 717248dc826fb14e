import EmbeddingMath
import Testing
import VectorSearch
import _TestSupport

@Suite struct FlatIndexTests {
    /// Brute force: every cosine in Double, sorted by (score descending, corpus index ascending).
    func bruteForce(_ queries: Matrix, _ corpus: Matrix, m: Int, k: Int) -> [[Int]] {
        let q = queries.normalizedPrefix(columns: m), c = corpus.normalizedPrefix(columns: m)
        return (0 ..< q.rows).map { i in
            let scores = (0 ..< c.rows).map { j in (0 ..< m).reduce(0.0) { $0 + Double(q[i, $1]) * Double(c[j, $1]) } }
            return Array((0 ..< c.rows).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k))
        }
    }

    @Test(arguments: [1, 7, 16, 33, 64])
    func searchEqualsBruteForceSortAtPrefix(m: Int) {
        let corpus = Fixtures.randomMatrix(rows: 997, columns: 64, seed: 11)
        let queries = Fixtures.randomMatrix(rows: 45, columns: 64, seed: 12)
        var index = FlatIndex(vectors: corpus, prefix: m)
        // Small blocks so that the test crosses query block, document chunk and tile boundaries.
        index.grid.queryBlock = 16
        index.grid.documentChunk = 300
        index.grid.tileDocuments = 100
        let results = index.search(queries.prefix(columns: m), k: 10)
        let expected = bruteForce(queries, corpus, m: m, k: 10)
        // Float32 scores may order near-ties differently from Double; double refinement settles it exactly.
        let refined = index.search(queries.prefix(columns: m), k: 20)
            .refinedInDoublePrecision(queries: queries, corpus: corpus, prefix: m, k: 10)
        for q in 0 ..< queries.rows {
            #expect(refined.neighbours(of: q) == expected[q])
            #expect(Set(results.neighbours(of: q)).intersection(expected[q]).count >= 9)
        }
    }

    @Test func tiesAreBrokenByCorpusOrder() {
        // Rows 1, 3 and 4 are the same direction; rows 0 and 2 are orthogonal to the query.
        let corpus = Matrix([[0, 1], [2, 0], [0, -1], [1, 0], [5, 0]])
        var index = FlatIndex(vectors: corpus)
        index.grid.documentChunk = 2
        index.grid.tileDocuments = 1
        let results = index.search(Matrix([[1, 0]]), k: 4)
        #expect(results.neighbours(of: 0) == [1, 3, 4, 0])
        #expect(results.neighbourScores(of: 0) == [1, 1, 1, 0])
    }

    @Test func kLargerThanCorpusPadsWithMinusOne() {
        let results = FlatIndex(vectors: Matrix([[1, 0], [0, 1], [1, 1]])).search(Matrix([[0, 1]]), k: 5)
        #expect(results.neighbours(of: 0) == [1, 2, 0])
        #expect(Array(results.indices) == [1, 2, 0, -1, -1])
        #expect(results.scores[3] == -.infinity)
    }

    @Test func scoresAreCosines() {
        let results = FlatIndex(vectors: Matrix([[3, 4], [-1, 0]])).search(Matrix([[10, 0]]), k: 2)
        #expect(results.neighbourScores(of: 0) == [0.6, -1])
    }

    @Test func topKAccumulatorAcrossBlocks() {
        var top = TopKAccumulator(queryCount: 1, k: 3)
        let first: [Float] = [0.1, 0.9, 0.5]
        let second: [Float] = [0.9, 0.95, 0.2, 0.5]
        first.withUnsafeBufferPointer { top.offer(query: 0, scores: $0.baseAddress!, count: 3, firstIndex: 0) }
        second.withUnsafeBufferPointer { top.offer(query: 0, scores: $0.baseAddress!, count: 4, firstIndex: 3) }
        // 0.95 (index 4), then the tie 0.9 at indices 1 and 3 in corpus order.
        #expect(top.results().neighbours(of: 0) == [4, 1, 3])
    }

    @Test func resultsAreIdenticalForAnyThreadCount() {
        let corpus = Fixtures.randomMatrix(rows: 2_000, columns: 24, seed: 21)
        let queries = Fixtures.randomMatrix(rows: 70, columns: 24, seed: 22)
        var index = FlatIndex(vectors: corpus)
        index.grid.queryBlock = 32
        index.grid.documentChunk = 256
        index.grid.tileDocuments = 64
        let one = Parallelism.$threads.withValue(1) { index.search(queries, k: 17) }
        // The double-precision re-ranking runs in jobs of 32 queries: 70 queries make three.
        let refined = Parallelism.$threads.withValue(1) {
            one.refinedInDoublePrecision(queries: queries, corpus: corpus, prefix: 24, k: 10)
        }
        for threads in [2, 3, 8] {
            #expect(Parallelism.$threads.withValue(threads) { index.search(queries, k: 17) } == one, "\(threads) threads")
            #expect(Parallelism.$threads.withValue(threads) {
                one.refinedInDoublePrecision(queries: queries, corpus: corpus, prefix: 24, k: 10)
            } == refined, "refined, \(threads) threads")
        }
    }

    @Test func streamingBlocksEqualsOneSearch() {
        let corpus = Fixtures.randomMatrix(rows: 1_500, columns: 16, seed: 31).normalizedRows()
        let queries = Fixtures.randomMatrix(rows: 20, columns: 16, seed: 32).normalizedRows()
        var grid = ScoreGrid()
        grid.documentChunk = 128
        grid.tileDocuments = 32
        var whole = TopKAccumulator(queryCount: 20, k: 9)
        whole.add(queries: queries, documents: corpus, firstIndex: 0, grid: grid)
        var streamed = TopKAccumulator(queryCount: 20, k: 9)
        for start in stride(from: 0, to: 1_500, by: 333) {
            streamed.add(queries: queries, documents: corpus.block(start ..< min(start + 333, 1_500)), firstIndex: start,
                         grid: grid)
        }
        // The same neighbours; scores equal to rounding (OpenBLAS may take another edge kernel for another block
        // shape, as on an AMD EPYC without AVX-512).
        #expect(streamed.results().indices == whole.results().indices)
        #expect(zip(streamed.results().scores, whole.results().scores).allSatisfy { abs($0 - $1) < 1e-6 })
        // FlatIndex re-normalises the queries (last-bit differences in the scores), on its default grid.
        #expect(whole.results().indices == FlatIndex(normalizedVectors: corpus).search(queries, k: 9).indices)
    }

    @Test func mergeKeepsTheBestByScoreThenIndex() {
        var left = TopKAccumulator(queryCount: 2, k: 3)
        var right = TopKAccumulator(queryCount: 1, k: 3)
        let a: [Float] = [0.5, 0.7, 0.7]
        let b: [Float] = [0.7, 0.6]
        a.withUnsafeBufferPointer { left.offer(query: 1, scores: $0.baseAddress!, count: 3, firstIndex: 10) }
        b.withUnsafeBufferPointer { right.offer(query: 0, scores: $0.baseAddress!, count: 2, firstIndex: 2) }
        left.merge(right, queryOffset: 1)
        // 0.7 at indices 2, 11 and 12: corpus order; 0.6 and 0.5 drop out.
        #expect(left.results().neighbours(of: 1) == [2, 11, 12])
        #expect(left.results().neighbours(of: 0) == [])
    }

    @Test func floorsSkipWhatCannotEnter() {
        var top = TopKAccumulator(queryCount: 1, k: 2, floors: [0.5])
        let scores: [Float] = [0.4, 0.5, 0.6]
        var inserted: [Int] = []
        scores.withUnsafeBufferPointer {
            top.offer(query: 0, scores: $0.baseAddress!, count: 3, firstIndex: 0) { inserted.append($0) }
        }
        #expect(top.results().neighbours(of: 0) == [2])
        #expect(inserted == [2])
        #expect(top.threshold(of: 0) == 0.5)
    }
}
