import EmbeddingMath

/// Streams the rows of a 2-D floating-point `.npy` file (formats 1.0 to 3.0) as `Float` matrices.
///
/// float32 is read directly; float16 and float64 are converted. The file's size is checked against
/// the header on open, so a truncated file fails before any row is returned.
public final class NpyReader {
    /// The file being read.
    public let path: String
    /// Its parsed header (element type, `rows × columns`).
    public let header: NpyHeader
    /// Rows returned so far.
    public private(set) var rowsRead = 0
    private let file: InputFile

    /// Opens `path` and validates its header and size.
    public init(path: String) throws(EmbeddingIOError) {
        self.path = path
        file = try InputFile(path: path)
        var bytes = file.readBytes(12)
        if bytes.count >= 10 {
            let major = bytes[6]
            let length = major == 1
                ? Int(bytes[8]) | Int(bytes[9]) << 8
                : bytes.count >= 12
                ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : 0
            let total = (major == 1 ? 10 : 12) + length
            if total > bytes.count, total <= file.size { bytes += file.readBytes(total - bytes.count) }
        }
        header = try NpyHeader.parse(bytes, path: path)
        let available = file.size - header.dataOffset
        if available < header.dataBytes {
            throw .truncated(path: path, expectedBytes: header.dataBytes, actualBytes: max(available, 0))
        }
        if available > header.dataBytes {
            throw .invalidNpy(path: path, problem: "\(available - header.dataBytes) unexpected bytes follow the "
                + "\(header.rows) × \(header.columns) array")
        }
        try file.seek(to: header.dataOffset)
    }

    /// Rows not yet returned.
    public var remainingRows: Int { header.rows - rowsRead }

    /// The next `min(count, remainingRows)` rows as a matrix (zero rows at the end of the file).
    public func readRows(_ count: Int) throws(EmbeddingIOError) -> Matrix {
        let n = min(count, remainingRows)
        let columns = header.columns
        var out = Matrix(rows: n, columns: columns)
        let elements = n * columns
        guard elements > 0 else {
            rowsRead += n
            return out
        }
        let expected = elements * header.elementType.size
        var got = 0
        switch header.elementType {
        case .float32:
            got = out.storage.withUnsafeMutableBytes { file.read(into: $0.baseAddress!, count: expected) }
            #if _endian(big)
            for i in out.storage.indices { out.storage[i] = Float(bitPattern: out.storage[i].bitPattern.byteSwapped) }
            #endif
        case .float16:
            var raw = [UInt16](repeating: 0, count: elements)
            got = raw.withUnsafeMutableBytes { file.read(into: $0.baseAddress!, count: expected) }
            for i in 0 ..< elements { out.storage[i] = halfToFloat(UInt16(littleEndian: raw[i])) }
        case .float64:
            var raw = [UInt64](repeating: 0, count: elements)
            got = raw.withUnsafeMutableBytes { file.read(into: $0.baseAddress!, count: expected) }
            for i in 0 ..< elements { out.storage[i] = Float(Double(bitPattern: UInt64(littleEndian: raw[i]))) }
        }
        guard got == expected else {
            let before = rowsRead * columns * header.elementType.size
            throw .truncated(path: path, expectedBytes: header.dataBytes, actualBytes: before + got)
        }
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

/// Writes a float32 `rows × columns` `.npy` file (format 1.0, C order) row block by row block, atomically:
/// the file appears under its name only when ``finish()`` succeeds with every promised row written.
public final class NpyWriter {
    /// The destination path.
    public var path: String { output.path }
    /// Rows promised in the header.
    public let rows: Int
    /// Columns of every row.
    public let columns: Int
    /// Rows written so far.
    public private(set) var rowsWritten = 0
    private let output: AtomicOutputFile

    /// Starts a file that will hold `rows × columns` float32 values.
    public init(path: String, rows: Int, columns: Int) throws(EmbeddingIOError) {
        self.rows = rows
        self.columns = columns
        output = try AtomicOutputFile(path: path)
        try output.write(contentsOf: NpyHeader.encodeFloat32(rows: rows, columns: columns))
    }

    /// Appends the rows of `block` (which must have ``columns`` columns).
    public func append(_ block: Matrix) throws(EmbeddingIOError) {
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
