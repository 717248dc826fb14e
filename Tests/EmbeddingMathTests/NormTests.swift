import EmbeddingMath
import Testing

/// Norms and normalisation that neither overflow nor underflow float32: every finite non-zero vector has a length
/// and a direction.
@Suite struct NormTests {
    func normalized(_ x: [Float]) -> [Float] {
        Matrix(rows: 1, columns: x.count, storage: x).normalizedRows().storage
    }

    func norm(_ x: [Float]) -> Float {
        x.withUnsafeBufferPointer { Kernels.norm($0.baseAddress!, count: x.count) }
    }

    /// Each case's direction, worked by hand: a row of equal values is `1/√n` in each coordinate; a single non-zero
    /// coordinate is the unit vector along it, with its sign.
    @Test func hugeAndTinyVectorsKeepTheirDirection() {
        let n = 384
        let equal = Float(1 / Double(n).squareRoot())
        for value: Float in [1e30, 3e38, -1e20, 1e-30, 1e-42] {
            let unit = normalized([Float](repeating: value, count: n))
            let sign: Float = value < 0 ? -1 : 1
            #expect(unit.allSatisfy { abs($0 - sign * equal) < 1e-6 }, "a row of \(value)")
        }
        var one = [Float](repeating: 0, count: 8)
        one[5] = 1e20
        #expect(normalized(one) == [0, 0, 0, 0, 0, 1, 0, 0])
        one[5] = -1e-45  // the smallest denormal
        #expect(normalized(one) == [0, 0, 0, 0, 0, -1, 0, 0])
    }

    /// The lengths themselves: √n·v for a row of v, without overflow until the length exceeds the float range.
    @Test func normsDoNotOverflowOrUnderflow() {
        #expect(abs(norm([Float](repeating: 1e30, count: 4)) / 2e30 - 1) < 1e-6)
        #expect(abs(norm([3e-40, 4e-40]) / 5e-40 - 1) < 1e-5)
        #expect(norm([Float](repeating: 3e38, count: 4)) == .infinity, "6e38 is beyond float32")
        #expect(norm([0, 0, 0]) == 0)
        #expect(norm([1, .nan]).isNaN)
        #expect(norm([3, 4]) == 5, "ordinary vectors take the plain path")
    }

    /// What has no direction is left as it is: zero stays zero, NaN and ∞ stay (and the pipeline refuses them).
    @Test func zeroAndNonFiniteRowsAreLeftAsTheyAre() {
        #expect(normalized([0, 0, 0]) == [0, 0, 0])
        let infinite = normalized([1, .infinity, 2])
        #expect(infinite[1] == .infinity)
        #expect(normalized([1, .nan])[1].isNaN)
    }

    /// The fast path is bit for bit the former computation `x / √(Σ x²)` on ordinary rows.
    @Test func ordinaryRowsAreNormalisedAsBefore() {
        let x: [Float] = [0.3, -1.7, 2.2, 0.01, 5]
        let squares = x.reduce(Float(0)) { $0 + $1 * $1 }
        let reference = x.map { $0 * (1 / squares.squareRoot()) }
        #expect(zip(normalized(x), reference).allSatisfy { abs($0 - $1) <= 1e-7 })
    }

    @Test func thePipelineRefusesWhatHasNoDirection() throws {
        let pipeline = try EmbeddingPipeline(IdentityTransform(dimension: 4), dimension: 2)
        let x = Matrix([[1, 2, 3, 4], [0, 0, 5, 6], [1, .nan, 0, 0]])
        #expect(throws: PipelineError.noDirection(row: 11, size: 2)) { try pipeline.checked(x.block(0 ..< 2), firstRow: 10) }
        #expect(throws: PipelineError.notFinite(row: 2, size: 2)) { try pipeline.checked(x.gatherRows([0, 0, 2])) }
        #expect(try pipeline.checked(Matrix([[1e30, 1e30, 0, 0]])).storage.allSatisfy { abs($0 - 0.70710677) < 1e-6 })
    }
}
