import EmbeddingMath
import Testing
import VectorSearch
import _TestSupport

/// Search over codes: the Hamming scan against a brute-force count, asymmetric scoring against the decoded
/// vectors, and re-scoring against exact search on the full vectors.
@Suite struct CodeIndexTests {
    func unit(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
        Fixtures.randomMatrix(rows: rows, columns: columns, seed: seed).normalizedRows()
    }

    @Test func hammingSearchIsTheBruteForceRankingWithTiesByCorpusOrder() {
        let corpus = unit(300, 40, seed: 1), queries = unit(7, 40, seed: 2)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 37, precision: .binary, calibration: calibration)
        let queryCodes = CodeMatrix(encoding: queries, dimension: 37, precision: .binary, calibration: calibration)
        let found = CodeIndex(codes: codes, calibration: calibration, scoring: .hamming).search(unitQueries: queries, k: 25)
        for q in 0 ..< 7 {
            let distances = (0 ..< 300).map { i in (0 ..< 37).filter { codes.level(row: i, coordinate: $0) != queryCodes.level(row: q, coordinate: $0) }.count }
            let expected = (0 ..< 300).sorted { distances[$0] != distances[$1] ? distances[$0] < distances[$1] : $0 < $1 }.prefix(25)
            #expect(found.neighbours(of: q) == Array(expected))
            #expect(found.neighbourScores(of: q) == expected.map { Float(37 - 2 * distances[$0]) })
        }
    }

    /// The blocked scan against a brute-force count on 256-bit codes (the unrolled path): 70 queries (two blocks)
    /// and one query over a corpus long enough to be cut into segments, on one thread and on three.
    @Test func blockedAndSegmentedHammingScansAreTheBruteForceRanking() {
        var generator = SeededGenerator(seed: 9)
        let count = 40_000, width = 32
        let corpusBytes = (0 ..< count * width).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let codes = CodeMatrix(precision: .binary, dimension: 256, rows: count, bytes: corpusBytes)
        let index = CodeIndex(codes: codes, calibration: nil, scoring: .hamming)
        for queryCount in [70, 1] {
            let queryBytes = (0 ..< queryCount * width).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            let queries = CodeMatrix(precision: .binary, dimension: 256, rows: queryCount, bytes: queryBytes)
            let one = Parallelism.$threads.withValue(1) { index.hammingSearch(queries, k: 30) }
            let three = Parallelism.$threads.withValue(3) { index.hammingSearch(queries, k: 30) }
            #expect(one.indices == three.indices && one.scores == three.scores)
            for q in [0, queryCount - 1] {
                var distances = [UInt16](repeating: 0, count: count)
                Kernels.hammingDistances(Array(queryBytes[q * width ..< (q + 1) * width]), corpusBytes, count: count,
                                         bytes: width, into: &distances)
                let expected = (0 ..< count).sorted { distances[$0] != distances[$1] ? distances[$0] < distances[$1] : $0 < $1 }.prefix(30)
                #expect(one.neighbours(of: q) == Array(expected))
                #expect(one.neighbourScores(of: q) == expected.map { Float(256 - 2 * Int(distances[$0])) })
            }
        }
    }

    @Test func aHammingScanAskingForMoreThanTheCorpusPadsWithMinusOne() {
        let corpus = unit(5, 16, seed: 7)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 16, precision: .binary, calibration: calibration)
        let found = CodeIndex(codes: codes, calibration: calibration, scoring: .hamming).search(unitQueries: corpus, k: 8)
        for q in 0 ..< 5 {
            #expect(found.neighbours(of: q).first == q)
            #expect(Array(found.indices[q * 8 + 5 ..< q * 8 + 8]) == [-1, -1, -1])
            #expect(found.scores[q * 8 + 7] == -.infinity)
        }
    }

    @Test func asymmetricBinaryScoresTheCentredQueryAgainstSigns() {
        let corpus = unit(200, 16, seed: 3), queries = unit(5, 16, seed: 4)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 12, precision: .binary, calibration: calibration)
        let found = CodeIndex(codes: codes, calibration: calibration).search(unitQueries: queries, k: 10)
        for q in 0 ..< 5 {
            let scores = (0 ..< 200).map { i in
                (0 ..< 12).reduce(Float(0)) { $0 + (queries[q, $1] - calibration.centre[$1]) * (codes.level(row: i, coordinate: $1) == 1 ? 1 : -1) }
            }
            let expected = (0 ..< 200).sorted { scores[$0] > scores[$1] }.prefix(10)
            #expect(Set(found.neighbours(of: q).prefix(5)) == Set(expected.prefix(5)))
        }
    }

    /// The block-by-block asymmetric scan (only codes held) against exact search over all the decoded vectors, on a
    /// corpus of three decode blocks, on one thread and on three.
    @Test func theAsymmetricScanIsExactSearchOverTheDecodedCodes() {
        let corpus = unit(20_000, 24, seed: 8), queries = unit(9, 24, seed: 10)
        let calibration = CodeCalibration(unitVectors: corpus)
        for precision in [Precision.int8, .int4, .float16] {
            let codes = CodeMatrix(encoding: corpus, dimension: 16, precision: precision, calibration: calibration)
            let index = CodeIndex(codes: codes, calibration: calibration)
            let exact = FlatIndex(vectors: codes.decoded(calibration: calibration)).search(queries.prefix(columns: 16), k: 12)
            let one = Parallelism.$threads.withValue(1) { index.search(unitQueries: queries, k: 12) }
            let three = Parallelism.$threads.withValue(3) { index.search(unitQueries: queries, k: 12) }
            #expect(one == three, "\(precision)")
            #expect(one.indices == exact.indices, "\(precision)")
        }
    }

    /// A re-scored Hamming shortlist of `K` keeps every code tied with the `K`-th: with 6 bits over 300 documents,
    /// ties are many, and the result is the best by the full vectors among all documents within that distance.
    @Test func aHammingShortlistKeepsEveryCodeTiedWithItsLast() {
        let corpus = unit(300, 20, seed: 11), queries = unit(5, 20, seed: 12)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 6, precision: .binary, calibration: calibration)
        let queryCodes = CodeMatrix(encoding: queries, dimension: 6, precision: .binary, calibration: calibration)
        let found = CodeIndex(codes: codes, calibration: calibration, scoring: .hamming)
            .search(unitQueries: queries, k: 5, rescore: (10, corpus))
        for q in 0 ..< 5 {
            let distances = (0 ..< 300).map { i in (0 ..< 6).filter { codes.level(row: i, coordinate: $0) != queryCodes.level(row: q, coordinate: $0) }.count }
            let cutoff = distances.sorted()[9]
            let within = (0 ..< 300).filter { distances[$0] <= cutoff }
            #expect(within.count > 10)
            let cosine = { (i: Int) in (0 ..< 20).reduce(0.0) { $0 + Double(queries[q, $1]) * Double(corpus[i, $1]) } }
            let expected = within.sorted { cosine($0) != cosine($1) ? cosine($0) > cosine($1) : $0 < $1 }.prefix(5)
            #expect(found.neighbours(of: q) == Array(expected))
        }
    }

    /// Three queries against int8 codes take the fused pass (nothing decoded to memory): the same neighbours as exact
    /// search over the decoded codes, scores equal to rounding, on one thread and on three.
    @Test func aFewQueriesAgainstInt8CodesAreScoredByTheFusedPass() {
        let corpus = unit(40_000, 40, seed: 13), queries = unit(3, 40, seed: 14)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 37, precision: .int8, calibration: calibration)
        let index = CodeIndex(codes: codes, calibration: calibration)
        let exact = FlatIndex(vectors: codes.decoded(calibration: calibration)).search(queries.prefix(columns: 37), k: 12)
        let one = Parallelism.$threads.withValue(1) { index.search(unitQueries: queries, k: 12) }
        let three = Parallelism.$threads.withValue(3) { index.search(unitQueries: queries, k: 12) }
        #expect(one == three)
        #expect(one.indices == exact.indices)
        #expect(zip(one.scores, exact.scores).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func rescoringAShortlistOfEveryDocumentIsExactSearch() {
        let corpus = unit(150, 24, seed: 5), queries = unit(6, 24, seed: 6)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: 8, precision: .int2, calibration: calibration)
        let rescored = CodeIndex(codes: codes, calibration: calibration).search(unitQueries: queries, k: 10,
                                                                                rescore: (150, corpus))
        let exact = FlatIndex(normalizedVectors: corpus).search(queries, k: 10)
        #expect(rescored.indices == exact.indices)
    }
}
