import EmbeddingMath
import Testing

/// Codes of every precision, checked against values computed by hand (and numpy's `packbits` layout).
@Suite struct CodesTests {
    /// Three 2-d vectors: by hand, coordinate 0 has values 0.6, −0.8, 0 (median 0, range [−0.8, 0.6], root-mean-square
    /// distance from the median √((0.36 + 0.64 + 0) / 3) = √(1/3)); coordinate 1 has 0.8, 0.6, 1 (median 0.8).
    let y = Matrix([[0.6, 0.8], [-0.8, 0.6], [0, 1]])

    @Test func calibrationIsTheMedianSpreadAndRange() {
        let c = CodeCalibration(unitVectors: y)
        #expect(c.centre == [0, 0.8])
        #expect(abs(c.spread[0] - (1.0 / 3.0 as Float).squareRoot()) < 1e-6)
        #expect(abs(c.spread[1] - ((0.04 + 0.04) / 3 as Float).squareRoot()) < 1e-6)
        #expect(c.low == [-0.8, 0.6] && c.high == [0.6, 1])
    }

    @Test func bytesPerVectorFollowTheBits() {
        #expect([Precision.float32, .float16, .int8, .int4, .int2, .binary].map { $0.bytes(dimension: 10) } == [40, 20, 10, 5, 3, 2])
    }

    @Test func binaryCodesAreNumpysPackbitsOfTheCentredSigns() {
        // Nine coordinates: signs 1,0,1,1,0,0,0,1 | 1 → bytes 0b10110001, 0b10000000 (as numpy.packbits).
        let signs: [Float] = [1, -1, 1, 1, -1, -1, -1, 1, 1]
        let row = Matrix([signs.map { $0 * 0.1 }])
        let zero = [Float](repeating: 0, count: 9)
        let c = CodeCalibration(centre: zero, spread: zero.map { _ in 1 }, low: zero, high: zero)
        let codes = CodeMatrix(encoding: row, dimension: 9, precision: .binary, calibration: c)
        #expect(codes.bytes == [0b1011_0001, 0b1000_0000])
        // The size-8 code is the first byte: every prefix is a prefix of the same bytes.
        #expect(CodeMatrix(encoding: row, dimension: 8, precision: .binary, calibration: c).bytes == [0b1011_0001])
        #expect(codes.decoded(calibration: c).storage == signs)
    }

    @Test func int8AndInt4MapTheRangeLinearly() {
        let c = CodeCalibration(unitVectors: y)
        // Coordinate 0: (0.6 + 0.8) / 1.4 · 255 = 255 → stored 127; −0.8 → 0 → −128; 0 → 145.7 → 146 → 18.
        // Coordinate 1: 0.8 → 127.5 → 128 → 0; 0.6 → −128; 1 → 127.
        let int8 = CodeMatrix(encoding: y, dimension: 2, precision: .int8, calibration: c)
        #expect(int8.bytes.map { Int8(bitPattern: $0) } == [127, 0, -128, -128, 18, 127])
        let decoded = int8.decoded(calibration: c)
        #expect(abs(decoded[2, 0] - (-0.8 + 1.4 * 146 / 255)) < 1e-6)
        // int4: 15 levels; coordinate 0 of row 2: 0.8 / 1.4 · 15 = 8.57 → 9; coordinate 1: 0.4 / 0.4 · 15 = 15.
        let int4 = CodeMatrix(encoding: y, dimension: 2, precision: .int4, calibration: c)
        #expect(int4.bytes == [0xF8, 0x00, 0x9F])
    }

    @Test func int2IsLloydMaxAroundTheMedian() {
        let c = CodeCalibration(centre: [0, 0, 0, 0], spread: [1, 1, 1, 1], low: [0, 0, 0, 0], high: [0, 0, 0, 0])
        // z = −2 → level 0, −0.5 → 1, 0.5 → 2, 2 → 3: packed 0b00_01_10_11.
        let codes = CodeMatrix(encoding: Matrix([[-2, -0.5, 0.5, 2]]), dimension: 4, precision: .int2, calibration: c)
        #expect(codes.bytes == [0b0001_1011])
        #expect(codes.decoded(calibration: c).storage == [-1.5104, -0.4528, 0.4528, 1.5104])
    }

    @Test func floatCodesRoundTrip() {
        let f32 = CodeMatrix(encoding: y, dimension: 2, precision: .float32, calibration: nil)
        #expect(f32.decoded(calibration: nil) == y)
        let f16 = CodeMatrix(encoding: y, dimension: 2, precision: .float16, calibration: nil)
        #expect(f16.bytes.count == 12)
        #expect(f16.decoded(calibration: nil).storage.enumerated().allSatisfy { abs($1 - y.storage[$0]) < 1e-3 })
    }

    @Test func hammingDistancesCountDifferingBits() {
        // 9-byte codes: one full 64-bit word and a tail byte.
        let query: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0b1010_1010]
        let codes: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0b1010_1010] + [0, 0, 0, 0, 0, 0, 0, 1, 0b0101_0101]
        var distances = [UInt16](repeating: 0, count: 2)
        Kernels.hammingDistances(query, codes, count: 2, bytes: 9, into: &distances)
        #expect(distances == [0, 8 + 1 + 8])
        // 32-byte codes take the unrolled path.
        let a = [UInt8](repeating: 0b1111_0000, count: 32), b = [UInt8](repeating: 0b1100_0000, count: 32)
        var one = [UInt16](repeating: 0, count: 1)
        Kernels.hammingDistances(a, b, count: 1, bytes: 32, into: &one)
        #expect(one == [64])
    }
}
