import EmbeddingMath
import Testing
import _TestSupport

@Suite struct CovarianceAccumulatorTests {
    /// Two-pass mean and population covariance in Double.
    func reference(_ x: Matrix) -> (mean: [Double], covariance: [Double]) {
        let n = Double(x.rows), d = x.columns
        let mean = (0 ..< d).map { j in (0 ..< x.rows).reduce(0.0) { $0 + Double(x[$1, j]) } / n }
        var covariance = [Double](repeating: 0, count: d * d)
        for i in 0 ..< x.rows {
            for a in 0 ..< d {
                for b in 0 ..< d { covariance[a * d + b] += (Double(x[i, a]) - mean[a]) * (Double(x[i, b]) - mean[b]) / n }
            }
        }
        return (mean, covariance)
    }

    @Test func handComputed() {
        // Rows (1, 2), (3, 6): mean (2, 4); deviations ±(1, 2); covariance [[1, 2], [2, 4]].
        let accumulator = CovarianceAccumulator(rows: Matrix([[1, 2], [3, 6]]))
        #expect(accumulator.mean() == [2, 4])
        #expect(accumulator.covariance() == [1, 2, 2, 4])
        #expect(accumulator.count == 2)
    }

    @Test func matchesTwoPassAcrossChunks() {
        // More rows than one chunk, with a mean far from zero next to the spread (as embeddings have).
        var x = Fixtures.randomMatrix(rows: CovarianceAccumulator.chunkRows * 2 + 123, columns: 6, seed: 3)
        for i in 0 ..< x.rows { for j in 0 ..< 6 { x[i, j] = 5 + 0.01 * x[i, j] } }
        let accumulator = CovarianceAccumulator(rows: x)
        let expected = reference(x)
        for (a, b) in zip(accumulator.mean(), expected.mean) { #expect(abs(a - b) < 1e-9) }
        for (a, b) in zip(accumulator.covariance(), expected.covariance) { #expect(abs(a - b) < 1e-10) }
    }

    @Test func identicalForAnyBlockSizeAndThreadCount() {
        let x = Fixtures.randomMatrix(rows: CovarianceAccumulator.chunkRows * 9 + 17, columns: 5, seed: 4)
        let whole = Parallelism.$threads.withValue(1) { CovarianceAccumulator(rows: x) }
        for (blockRows, threads) in [(1000, 2), (4096, 3), (37, 1)] {
            var streamed = CovarianceAccumulator(dimension: 5)
            Parallelism.$threads.withValue(threads) {
                for start in stride(from: 0, to: x.rows, by: blockRows) {
                    streamed.add(x.block(start ..< min(start + blockRows, x.rows)))
                }
            }
            #expect(streamed.covariance() == whole.covariance(), "blocks of \(blockRows), \(threads) threads")
            #expect(streamed.mean() == whole.mean())
        }
    }
}
