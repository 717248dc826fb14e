import EmbeddingMath

/// A 2-D floating-point `.npy` file (formats 1.0 to 3.0) read by blocks of rows at any position, as `Float`
/// matrices: the ``/EmbeddingMath/RowSource`` of corpora too large to load.
///
/// float32 is read directly; float16 and float64 are converted. The file's size is checked against the header
/// on open, so a truncated file fails before any row is returned. Reads use `pread`, so several threads may read
/// one file at once. With `validated`, every row read is checked to be finite and non-zero, and a bad row is an
/// error naming the file and its row number in the file.
public final class NpyFile: RowSource, @unchecked Sendable {
    /// The file.
    public let path: String
    /// Its parsed header (element type, `rows × columns`).
    public let header: NpyHeader
    /// Whether rows are checked as they are read.
    public let validated: Bool
    private let file: RandomAccessFile

    /// Opens `path` and validates its header and size.
    public init(path: String, validated: Bool = true) throws(EmbeddingIOError) {
        self.path = path
        self.validated = validated
        file = try RandomAccessFile(path: path)
        header = try NpyHeader.parse(try headerBytes(of: file), path: path)
        try checkDataSize(of: file, offset: header.dataOffset, bytes: header.dataBytes, rows: header.rows, columns: header.columns)
    }

    /// Number of rows.
    public var rowCount: Int { header.rows }
    /// Row length.
    public var dimension: Int { header.columns }
    /// The path.
    public var sourceName: String { path }

    /// Rows `range` as a `range.count × columns` matrix.
    public func block(_ range: Range<Int>) throws(EmbeddingIOError) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= header.rows, "Rows \(range) of \(header.rows)")
        let out = try Matrix(rows: range.count, columns: header.columns) { (buffer) throws(EmbeddingIOError) in
            if !buffer.isEmpty { try read(rows: range, into: buffer.baseAddress!) }
        }
        if validated { try validateRows(out, path: path, firstRow: range.lowerBound) }
        return out
    }

    /// The rows at `indices` (any order, repeats allowed), read in increasing file order.
    public func gather(_ indices: [Int]) throws(EmbeddingIOError) -> Matrix {
        let d = header.columns
        var out = Matrix(rows: indices.count, columns: d)
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        try out.storage.withUnsafeMutableBufferPointer { (buffer) throws(EmbeddingIOError) in
            var position = 0
            while position < order.count {
                // A run of consecutive file rows is one read.
                var end = position + 1
                while end < order.count, indices[order[end]] - indices[order[position]] == end - position { end += 1 }
                let first = indices[order[position]]
                let count = end - position
                var run = [Float](repeating: 0, count: count * d)
                try run.withUnsafeMutableBufferPointer { (r) throws(EmbeddingIOError) in
                    try read(rows: first ..< first + count, into: r.baseAddress!)
                }
                if validated {
                    try validateRows(Matrix(rows: count, columns: d, storage: run), path: path, firstRow: first)
                }
                for (offset, slot) in order[position ..< end].enumerated() {
                    run.withUnsafeBufferPointer { r in
                        (buffer.baseAddress! + slot * d).update(from: r.baseAddress! + offset * d, count: d)
                    }
                }
                position = end
            }
        }
        return out
    }

    /// Reads rows `range` as floats into `destination` (`range.count × columns`).
    private func read(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) throws(EmbeddingIOError) {
        let elements = range.count * header.columns
        guard elements > 0 else { return }
        let size = header.elementType.size
        let offset = header.dataOffset + range.lowerBound * header.columns * size
        let expected = elements * size
        var got = 0
        switch header.elementType {
        case .float32:
            got = try file.read(into: destination, count: expected, at: offset)
            #if _endian(big)
            for i in 0 ..< elements { destination[i] = Float(bitPattern: destination[i].bitPattern.byteSwapped) }
            #endif
        case .float16:
            var raw = [UInt16](repeating: 0, count: elements)
            got = try raw.withUnsafeMutableBufferPointer { (r) throws(EmbeddingIOError) in try file.read(into: r.baseAddress!, count: expected, at: offset) }
            for i in 0 ..< elements { destination[i] = halfToFloat(UInt16(littleEndian: raw[i])) }
        case .float64:
            var raw = [UInt64](repeating: 0, count: elements)
            got = try raw.withUnsafeMutableBufferPointer { (r) throws(EmbeddingIOError) in try file.read(into: r.baseAddress!, count: expected, at: offset) }
            for i in 0 ..< elements { destination[i] = Float(Double(bitPattern: UInt64(littleEndian: raw[i]))) }
        }
        guard got == expected else {
            // The file shrank after it was opened.
            throw .truncated(path: path, expectedBytes: header.dataBytes,
                             actualBytes: offset - header.dataOffset + got)
        }
    }
}

/// Reads the rows of a `.npy` file front to back (see ``NpyFile``; rows are not validated here).
public final class NpyReader {
    /// The file being read.
    public var path: String { file.path }
    /// Its parsed header (element type, `rows × columns`).
    public var header: NpyHeader { file.header }
    /// Rows returned so far.
    public private(set) var rowsRead = 0
    /// The file, for random access.
    public let file: NpyFile

    /// Opens `path` and validates its header and size.
    public init(path: String) throws(EmbeddingIOError) {
        file = try NpyFile(path: path, validated: false)
    }

    /// Rows not yet returned.
    public var remainingRows: Int { header.rows - rowsRead }

    /// The next `min(count, remainingRows)` rows as a matrix (zero rows at the end of the file).
    public func readRows(_ count: Int) throws(EmbeddingIOError) -> Matrix {
        let n = min(count, remainingRows)
        let out = try file.block(rowsRead ..< rowsRead + n)
        rowsRead += n
        return out
    }

    /// All remaining rows.
    public func readAll() throws(EmbeddingIOError) -> Matrix {
        try readRows(remainingRows)
    }
}

/// Converts an IEEE 754 half-precision bit pattern to `Float` (subnormals, infinities and NaN included).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

/// Writes a `rows × columns` `.npy` file (format 1.0, C order; float32, or the bytes of another numpy type) row
/// block by row block, atomically: the file appears under its name only when ``finish()`` succeeds with every
/// promised row written.
public final class NpyWriter {
    /// The element types written: numpy's type strings and their sizes.
    public enum Element: String, Sendable {
        /// `<f4`, 4 bytes.
        case float32 = "<f4"
        /// `<f2`, IEEE half, 2 bytes.
        case float16 = "<f2"
        /// `|i1`, signed bytes.
        case int8 = "|i1"
        /// `|u1`, unsigned bytes (packed codes).
        case uint8 = "|u1"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .float32: 4
            case .float16: 2
            case .int8, .uint8: 1
            }
        }
    }
    /// The element type.
    public let element: Element
    /// The destination path.
    public var path: String { output.path }
    /// Rows promised in the header.
    public let rows: Int
    /// Columns of every row.
    public let columns: Int
    /// Rows written so far.
    public private(set) var rowsWritten = 0
    private let output: AtomicOutputFile

    /// Starts a file that will hold `rows × columns` values of `element` (float32 by default).
    public init(path: String, rows: Int, columns: Int, element: Element = .float32) throws(EmbeddingIOError) {
        self.rows = rows
        self.columns = columns
        self.element = element
        output = try AtomicOutputFile(path: path)
        try output.write(contentsOf: NpyHeader.encode(descr: element.rawValue, rows: rows, columns: columns))
    }

    /// Appends whole rows given as their bytes (`k × columns × element.size` of them, little-endian).
    public func append(bytes: [UInt8]) throws(EmbeddingIOError) {
        let rowBytes = columns * element.size
        precondition(rowBytes > 0 && bytes.count % rowBytes == 0, "NpyWriter: \(bytes.count) bytes are not whole rows of \(rowBytes)")
        precondition(rowsWritten + bytes.count / rowBytes <= rows, "NpyWriter: more than the \(rows) rows promised")
        try output.write(contentsOf: bytes)
        rowsWritten += bytes.count / rowBytes
    }

    /// Appends the rows of `block` (which must have ``columns`` columns) to a float32 file.
    public func append(_ block: Matrix) throws(EmbeddingIOError) {
        precondition(element == .float32, "NpyWriter: Matrix blocks go to float32 files")
        precondition(block.columns == columns, "NpyWriter: block has \(block.columns) columns, file has \(columns)")
        precondition(rowsWritten + block.rows <= rows, "NpyWriter: more than the \(rows) rows promised")
        #if _endian(big)
        preconditionFailure("big-endian hosts are not supported")
        #endif
        try output.write(contentsOf: block.storage)
        rowsWritten += block.rows
    }

    /// Checks that every row was written and moves the file into place.
    public func finish() throws(EmbeddingIOError) {
        guard rowsWritten == rows else {
            throw .cannotWrite(path: path, reason: "only \(rowsWritten) of the \(rows) promised rows were written")
        }
        try output.commit()
    }
}

/// Reads a whole 2-D `.npy` file as a `Float` matrix (see ``NpyReader``).
public func readNpy(_ path: String) throws(EmbeddingIOError) -> Matrix {
    try NpyReader(path: path).readAll()
}

/// Writes `matrix` as a float32 `.npy` file, atomically.
public func writeNpy(_ matrix: Matrix, to path: String) throws(EmbeddingIOError) {
    let writer = try NpyWriter(path: path, rows: matrix.rows, columns: matrix.columns)
    try writer.append(matrix)
    try writer.finish()
}

/// The bytes of a `.npy` file's header (at least the first 12, then as many as its length field says, within the file).
func headerBytes(of file: RandomAccessFile) throws(EmbeddingIOError) -> [UInt8] {
    var bytes = try file.readBytes(12, at: 0)
    if bytes.count >= 10 {
        let major = bytes[6]
        let length = major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : bytes.count >= 12
            ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : 0
        let total = (major == 1 ? 10 : 12) + length
        if total > bytes.count, total <= file.size { bytes += try file.readBytes(total - bytes.count, at: bytes.count) }
    }
    return bytes
}

/// Checks that `file` holds exactly the `bytes` of a `rows × columns` array after `offset`.
func checkDataSize(of file: RandomAccessFile, offset: Int, bytes: Int, rows: Int, columns: Int) throws(EmbeddingIOError) {
    let available = file.size - offset
    if available < bytes {
        throw .truncated(path: file.path, expectedBytes: bytes, actualBytes: max(available, 0))
    }
    if available > bytes {
        throw .invalidNpy(path: file.path, problem: "\(available - bytes) unexpected bytes follow the \(rows) × \(columns) array")
    }
}

/// A `.npy` file of codes as `apply --precision` writes them, read whole: `rows × columns` elements of `element`
/// (`|u1` packed bits or levels, `|i1` int8 levels, `<f2` float16), as their bytes.
public struct NpyCodes: Sendable, Equatable {
    /// The element type.
    public let element: NpyWriter.Element
    /// Rows.
    public let rows: Int
    /// Elements per row.
    public let columns: Int
    /// `rows × columns × element.size` bytes, row-major, as stored.
    public let bytes: [UInt8]

    /// Reads `path`, refusing any other element type (float32 and float64 are vectors, not codes), another layout,
    /// or a size that is not the header's.
    public init(path: String) throws(EmbeddingIOError) {
        let file = try RandomAccessFile(path: path)
        let types = [NpyWriter.Element.uint8, .int8, .float16]
        let fields = try NpyHeader.fields(try headerBytes(of: file), path: path,
                                          sizes: Dictionary(uniqueKeysWithValues: types.map { ($0.rawValue, $0.size) }),
                                          expected: "expected codes as apply --precision writes them: '|u1' (binary, int4, "
                                              + "int2), '|i1' (int8) or '<f2' (float16)")
        let element = NpyWriter.Element(rawValue: fields.descr)!
        let count = fields.rows * fields.columns * element.size
        try checkDataSize(of: file, offset: fields.dataOffset, bytes: count, rows: fields.rows, columns: fields.columns)
        self.element = element
        rows = fields.rows
        columns = fields.columns
        bytes = count == 0 ? [] : try file.readBytes(count, at: fields.dataOffset)
    }
}
