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
