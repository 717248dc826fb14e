/// How each coordinate of an embedding is stored: the unit that memory and disks are paid in.
///
/// Codes are taken of the unit full vector `y = T(x) / ‖T(x)‖` (`d` coordinates), one code per coordinate, so the
/// code of the size-`m` prefix is the first `m` codes of one code vector: every Matryoshka size is a prefix of the
/// same bytes (for the packed precisions, the first `⌈m · bits / 8⌉` bytes). Bytes per vector at size `m`:
///
/// | precision | bits per coordinate | bytes at `m` |
/// |---|---|---|
/// | `float32` | 32 | `4m` |
/// | `float16` | 16 | `2m` |
/// | `int8` | 8 | `m` |
/// | `int4` | 4 | `⌈m / 2⌉` |
/// | `int2` | 2 | `⌈m / 4⌉` |
/// | `binary` | 1 | `⌈m / 8⌉` |
public enum Precision: String, Sendable, CaseIterable, Codable, Comparable {
    case float32, float16, int8, int4, int2, binary

    /// Bits each coordinate takes.
    public var bits: Int {
        switch self {
        case .float32: 32
        case .float16: 16
        case .int8: 8
        case .int4: 4
        case .int2: 2
        case .binary: 1
        }
    }

    /// Bytes one vector of `m` coordinates takes: `⌈m · bits / 8⌉`.
    public func bytes(dimension m: Int) -> Int { (m * bits + 7) / 8 }

    /// Whether this precision needs a ``CodeCalibration`` (everything but the float types).
    public var needsCalibration: Bool { bits <= 8 }

    /// Finer first.
    public static func < (a: Precision, b: Precision) -> Bool { a.bits > b.bits }
}

/// Per-coordinate statistics of a corpus's unit full vectors `y` (`d` coordinates), which fix every code so that
/// documents coded today and queries coded later agree. Computed once (``init(unitVectors:)``) and stored in the
/// model file.
///
/// - `int8`, `int4`: coordinate `j` is mapped linearly from `[low_j, high_j]` (the corpus's range, as
///   sentence-transformers' `quantize_embeddings` calibrates) onto `2^bits` levels, clamped.
/// - `int2`: four levels, Lloyd-Max for a Gaussian with mean `centre_j` (the median) and deviation `spread_j` (the
///   root-mean-square distance from the median): thresholds `centre_j + spread_j · {−0.9816, 0, 0.9816}`,
///   reconstruction levels `centre_j + spread_j · {−1.5104, −0.4528, 0.4528, 1.5104}`.
/// - `binary`: the sign of `y_j − centre_j`.
public struct CodeCalibration: Sendable, Equatable {
    /// The per-coordinate median, `d` values.
    public var centre: [Float]
    /// The root-mean-square distance from the median, `d` values (positive).
    public var spread: [Float]
    /// The smallest value, `d` values.
    public var low: [Float]
    /// The largest value, `d` values.
    public var high: [Float]

    /// The number of coordinates `d`.
    public var dimension: Int { centre.count }

    /// A calibration from its four vectors (each `d` values, `spread > 0`, `low ≤ high`).
    public init(centre: [Float], spread: [Float], low: [Float], high: [Float]) {
        precondition(spread.count == centre.count && low.count == centre.count && high.count == centre.count,
                     "Calibration vectors of different lengths")
        self.centre = centre
        self.spread = spread
        self.low = low
        self.high = high
    }

    /// The statistics of `unitVectors` (`n × d`, the unit full vectors of a corpus or a sample of it).
    public init(unitVectors y: Matrix) {
        precondition(y.rows >= 1, "Calibration needs at least one vector")
        let d = y.columns, n = y.rows
        var centre = [Float](repeating: 0, count: d), spread = centre, low = centre, high = centre
        var column = [Float](repeating: 0, count: n)
        for j in 0 ..< d {
            for i in 0 ..< n { column[i] = y[i, j] }
            column.sort()
            let median = n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2
            var squares = 0.0
            for v in column { squares += Double(v - median) * Double(v - median) }
            centre[j] = median
            spread[j] = max(Float((squares / Double(n)).squareRoot()), .leastNormalMagnitude)
            low[j] = column[0]
            high[j] = column[n - 1]
        }
        self.init(centre: centre, spread: spread, low: low, high: high)
    }

    /// The calibration of `transform`'s unit outputs on `corpus`: at most `sampleRows` rows, evenly spaced (every
    /// row of a smaller corpus), transformed, normalised and measured. Deterministic: the same rows for any thread
    /// count.
    public static func of(_ transform: any EmbeddingTransform, corpus: any RowSource, sampleRows: Int = 100_000) throws
        -> CodeCalibration
    {
        let n = corpus.rowCount, take = min(n, sampleRows)
        let rows = (0 ..< take).map { $0 * n / take }
        var unit = transform.apply(try corpus.gather(rows))
        unit.normalizeRows()
        return CodeCalibration(unitVectors: unit)
    }

    /// Lloyd-Max thresholds and levels of a unit Gaussian at four levels (Max, 1960).
    static let lloydMaxThreshold: Float = 0.9816
    static let lloydMaxLevels: [Float] = [-1.5104, -0.4528, 0.4528, 1.5104]

    /// The code (`0 ..< 2^bits`) of value `v` at coordinate `j`.
    @inline(__always)
    func level(_ v: Float, coordinate j: Int, precision: Precision) -> Int {
        switch precision {
        case .binary:
            return v - centre[j] > 0 ? 1 : 0
        case .int2:
            let z = (v - centre[j]) / spread[j]
            return z < -Self.lloydMaxThreshold ? 0 : z < 0 ? 1 : z < Self.lloydMaxThreshold ? 2 : 3
        case .int4, .int8:
            let levels = (1 << precision.bits) - 1
            let width = high[j] - low[j]
            guard width > 0 else { return levels / 2 }
            let t = ((v - low[j]) / width * Float(levels)).rounded()
            return Int(min(max(t, 0), Float(levels)))
        case .float32, .float16:
            preconditionFailure("float precisions have no levels")
        }
    }

    /// The value code `code` stands for at coordinate `j` (binary: `±1`, the sign's own scale).
    @inline(__always)
    func value(_ code: Int, coordinate j: Int, precision: Precision) -> Float {
        switch precision {
        case .binary:
            return code == 1 ? 1 : -1
        case .int2:
            return centre[j] + spread[j] * Self.lloydMaxLevels[code]
        case .int4, .int8:
            let levels = Float((1 << precision.bits) - 1)
            return low[j] + (high[j] - low[j]) * Float(code) / levels
        case .float32, .float16:
            preconditionFailure("float precisions have no levels")
        }
    }
}

/// Size-`m` codes of `n` vectors at one precision: `n` rows of ``bytesPerVector`` bytes.
///
/// Layouts: `int8` is two's-complement (`level − 128`, as numpy's `int8` and Cohere's `int8`); `float16` is IEEE
/// half, little-endian; `int4`, `int2` and `binary` pack coordinates into bytes from the most significant bits down,
/// coordinate `j` in byte `j · bits / 8` (for `binary` exactly `numpy.packbits(bits, axis=1)`, big-endian bit order;
/// for `int4` the high nibble first). Unused trailing bits are zero.
public struct CodeMatrix: Sendable, Equatable {
    /// The precision.
    public let precision: Precision
    /// The coordinates per vector, `m`.
    public let dimension: Int
    /// The vectors `n`.
    public let rows: Int
    /// `rows × bytesPerVector` bytes, row-major.
    public let bytes: [UInt8]

    /// Bytes per vector: ``Precision/bytes(dimension:)``.
    public var bytesPerVector: Int { precision.bytes(dimension: dimension) }

    /// Codes from their bytes (`rows × precision.bytes(dimension:)` of them).
    public init(precision: Precision, dimension: Int, rows: Int, bytes: [UInt8]) {
        precondition(bytes.count == rows * precision.bytes(dimension: dimension), "Code bytes do not fit the shape")
        self.precision = precision
        self.dimension = dimension
        self.rows = rows
        self.bytes = bytes
    }

    /// The codes of the first `m` coordinates of each row of `unitVectors` (`n × d`, unit full vectors `y`, `m ≤ d`).
    /// `calibration` is needed for every precision below 16 bits.
    public init(encoding unitVectors: Matrix, dimension m: Int, precision: Precision, calibration: CodeCalibration?) {
        precondition(m >= 1 && m <= unitVectors.columns, "Size \(m) outside 1...\(unitVectors.columns)")
        precondition(!precision.needsCalibration || calibration.map { $0.dimension >= m } == true,
                     "\(precision) codes need a calibration of at least \(m) coordinates")
        let n = unitVectors.rows, stride = precision.bytes(dimension: m)
        var bytes = [UInt8](repeating: 0, count: n * stride)
        bytes.withUnsafeMutableBufferPointer { out in
            let base = UncheckedSendable(out.baseAddress!)
            Parallelism.forEachRowChunk(rows: n, columns: m) { range in
                for i in range {
                    let row = base.value + i * stride
                    switch precision {
                    case .float32:
                        for j in 0 ..< m {
                            withUnsafeBytes(of: unitVectors[i, j].bitPattern.littleEndian) { raw in
                                for b in 0 ..< 4 { row[4 * j + b] = raw[b] }
                            }
                        }
                    case .float16:
                        for j in 0 ..< m {
                            let half = Float16(unitVectors[i, j]).bitPattern.littleEndian
                            row[2 * j] = UInt8(truncatingIfNeeded: half)
                            row[2 * j + 1] = UInt8(truncatingIfNeeded: half >> 8)
                        }
                    case .int8:
                        for j in 0 ..< m {
                            let level = calibration!.level(unitVectors[i, j], coordinate: j, precision: .int8)
                            row[j] = UInt8(bitPattern: Int8(level - 128))
                        }
                    case .int4, .int2, .binary:
                        let bits = precision.bits, perByte = 8 / bits
                        for j in 0 ..< m {
                            let level = calibration!.level(unitVectors[i, j], coordinate: j, precision: precision)
                            let shift = 8 - bits * (j % perByte + 1)
                            row[j / perByte] |= UInt8(level << shift)
                        }
                    }
                }
            }
        }
        self.init(precision: precision, dimension: m, rows: n, bytes: bytes)
    }

    /// The level of coordinate `j` of row `i` (`0 ..< 2^bits`; int8 as `level`, not the stored signed byte).
    @inline(__always)
    public func level(row i: Int, coordinate j: Int) -> Int {
        let stride = bytesPerVector
        switch precision {
        case .int8:
            return Int(Int8(bitPattern: bytes[i * stride + j])) + 128
        case .int4, .int2, .binary:
            let bits = precision.bits, perByte = 8 / bits
            let shift = 8 - bits * (j % perByte + 1)
            return Int(bytes[i * stride + j / perByte] >> shift) & ((1 << bits) - 1)
        case .float32, .float16:
            preconditionFailure("float precisions have no levels")
        }
    }

    /// The vectors the codes stand for, `rows × m` (not normalised): float values as stored, levels mapped back
    /// through `calibration` (binary: `±1`). Scoring a float query against these is the asymmetric score.
    public func decoded(calibration: CodeCalibration?) -> Matrix {
        decoded(rows: 0 ..< rows, calibration: calibration)
    }

    /// ``decoded(calibration:)`` of the rows in `range` only (`range.count × m`): what a scan decodes one cache-sized
    /// block at a time, so that only the codes stay in memory.
    public func decoded(rows range: Range<Int>, calibration: CodeCalibration?) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Rows \(range) outside 0..<\(rows)")
        precondition(!precision.needsCalibration || calibration != nil, "\(precision) codes need their calibration")
        let m = dimension, stride = bytesPerVector
        var out = Matrix(rows: range.count, columns: m)
        if precision == .int8, let calibration {
            let width = (0 ..< m).map { calibration.high[$0] - calibration.low[$0] }
            bytes.withUnsafeBufferPointer { source in
                out.storage.withUnsafeMutableBufferPointer { values in
                    Kernels.decodeInt8(source.baseAddress! + range.lowerBound * stride, rows: range.count, m: m,
                                       low: calibration.low, width: width, into: values.baseAddress!)
                }
            }
            return out
        }
        bytes.withUnsafeBufferPointer { source in
            out.storage.withUnsafeMutableBufferPointer { values in
                for (r, i) in range.enumerated() {
                    let row = source.baseAddress! + i * stride, target = values.baseAddress! + r * m
                    switch precision {
                    case .float32:
                        for j in 0 ..< m {
                            let o = 4 * j
                            target[j] = Float(bitPattern: UInt32(row[o]) | UInt32(row[o + 1]) << 8
                                              | UInt32(row[o + 2]) << 16 | UInt32(row[o + 3]) << 24)
                        }
                    case .float16:
                        for j in 0 ..< m {
                            target[j] = Float(Float16(bitPattern: UInt16(row[2 * j]) | UInt16(row[2 * j + 1]) << 8))
                        }
                    case .int8:
                        preconditionFailure("int8 is decoded by the kernel above")
                    case .int4, .int2, .binary:
                        let bits = precision.bits, perByte = 8 / bits, mask = (1 << bits) - 1
                        for j in 0 ..< m {
                            let level = Int(row[j / perByte] >> (8 - bits * (j % perByte + 1))) & mask
                            target[j] = calibration!.value(level, coordinate: j, precision: precision)
                        }
                    }
                }
            }
        }
        return out
    }
}
