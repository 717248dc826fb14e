/// The element types a `.npy` file may hold that we read; all are converted to `Float` on load.
public enum NpyElementType: String, Sendable {
    case float16 = "<f2"
    case float32 = "<f4"
    case float64 = "<f8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float16: 2
        case .float32: 4
        case .float64: 8
        }
    }
}

/// The parsed header of a 2-D, C-order, little-endian floating-point `.npy` file (format 1.0 to 3.0).
///
/// Layout: magic `\x93NUMPY`, major and minor version bytes, header length (`UInt16` in 1.0, `UInt32`
/// in 2.0 and 3.0), an ASCII (3.0: UTF-8) Python dict literal padded with spaces and ending in `\n`,
/// then `rows × columns` elements.
public struct NpyHeader: Equatable, Sendable {
    /// The element type on disk.
    public var elementType: NpyElementType
    /// Number of rows.
    public var rows: Int
    /// Number of columns.
    public var columns: Int
    /// Offset of the first data byte.
    public var dataOffset: Int

    /// Bytes of data the header promises.
    public var dataBytes: Int { rows * columns * elementType.size }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Parses a header from the first bytes of a file (`bytes` must hold at least the whole header); `path` names
    /// the file in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(EmbeddingIOError) -> NpyHeader {
        let types = [NpyElementType.float16, .float32, .float64]
        let fields = try fields(bytes, path: path, sizes: Dictionary(uniqueKeysWithValues: types.map { ($0.rawValue, $0.size) }),
                                expected: "expected little-endian float32 ('<f4'), float16 or float64")
        return NpyHeader(elementType: NpyElementType(rawValue: fields.descr)!, rows: fields.rows, columns: fields.columns,
                         dataOffset: fields.dataOffset)
    }

    /// The checks every header we read passes, for the element types `sizes` (numpy type string → bytes per element):
    /// the magic string and version, the dictionary, one of those types (`expected` says which in an error), C order,
    /// two dimensions, rows of at least one value, and a byte count a file can hold.
    static func fields(_ bytes: [UInt8], path: String, sizes: [String: Int], expected: String) throws(EmbeddingIOError)
        -> (descr: String, rows: Int, columns: Int, dataOffset: Int)
    {
        func fail(_ problem: String) -> EmbeddingIOError { .invalidNpy(path: path, problem: problem) }
        if bytes.isEmpty { throw .emptyFile(path: path, expected: "a .npy file") }
        guard bytes.count >= 10, Array(bytes[0 ..< 6]) == magic else {
            throw fail("it does not start with the .npy magic string \\x93NUMPY")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("the header is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw fail("format version \(major).\(bytes[7]) is not supported (1.0 to 3.0 are)")
        }
        guard bytes.count >= start + headerLength else { throw fail("the header is cut short") }
        let dict: [String: PythonLiteral]
        do { dict = try PythonLiteral.parseDict(bytes[start ..< start + headerLength]) } catch {
            let text = String(decoding: bytes[start ..< start + headerLength], as: UTF8.self)
            throw fail("the header dictionary \(text.trimmingSpaces.debugDescription) cannot be parsed")
        }
        guard case let .string(descr)? = dict["descr"] else { throw fail("the header has no 'descr' string") }
        guard case let .bool(fortran)? = dict["fortran_order"] else {
            throw fail("the header has no 'fortran_order' flag")
        }
        guard case let .tuple(shape)? = dict["shape"] else { throw fail("the header has no 'shape' tuple") }
        let normalisedDescr = descr.first == "=" ? "<" + descr.dropFirst() : descr
        guard let size = sizes[normalisedDescr] else {
            if descr.first == ">" {
                throw fail("dtype \(descr) is big-endian; \(expected)")
            }
            throw fail("dtype \(descr) is not supported; \(expected)")
        }
        guard !fortran else {
            throw fail("the array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray)")
        }
        guard shape.count == 2 else {
            throw fail("shape \(shape) is \(shape.count)-D; expected a 2-D array of vectors (rows, dimension)")
        }
        guard shape[1] > 0 else {
            throw fail("shape \(shape) has rows of no values; expected a 2-D array of vectors (rows, dimension ≥ 1)")
        }
        // rows × columns × element size must be a byte count a file can hold after the header.
        guard let bytes = byteCount(shape: shape, elementSize: size), bytes <= Int.max - (start + headerLength) else {
            throw fail("shape \(shape) promises more data than a file can hold")
        }
        return (normalisedDescr, shape[0], shape[1], start + headerLength)
    }

    /// The bytes of a format-1.0 header for a float32 `rows × columns` C-order array, padded so that the
    /// data starts on a 64-byte boundary (as numpy writes it).
    static func encodeFloat32(rows: Int, columns: Int) -> [UInt8] {
        encode(descr: "<f4", rows: rows, columns: columns)
    }

    /// The same header for any numpy type string `descr` (`<f4`, `<f2`, `|i1`, `|u1`).
    static func encode(descr: String, rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = dict.utf8.count
        return magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(dict.utf8)
    }
}

/// The subset of Python literals that appear in `.npy` headers: strings, booleans, integer tuples.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])

    struct ParseError: Error {}

    /// Parses `{'key': value, ...}` with trailing commas and whitespace allowed.
    ///
    /// Scans the UTF-8 bytes directly: every token of the grammar is ASCII, and quoted strings are decoded
    /// as UTF-8 (format 3.0 allows it).
    static func parseDict(_ text: some Collection<UInt8>) throws(ParseError) -> [String: PythonLiteral] {
        var scanner = Scanner(Array(text))
        var result: [String: PythonLiteral] = [:]
        try scanner.expect(UInt8(ascii: "{"))
        while true {
            scanner.skipSpaces()
            if scanner.consume(UInt8(ascii: "}")) { break }
            let key = try scanner.quoted()
            try scanner.expect(UInt8(ascii: ":"))
            result[key] = try scanner.value()
            scanner.skipSpaces()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            try scanner.expect(UInt8(ascii: "}"))
            break
        }
        return result
    }

    private struct Scanner {
        var bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpaces() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func consume(_ c: UInt8) -> Bool {
            skipSpaces()
            guard index < bytes.count, bytes[index] == c else { return false }
            index += 1
            return true
        }

        mutating func expect(_ c: UInt8) throws(ParseError) {
            guard consume(c) else { throw ParseError() }
        }

        mutating func quoted() throws(ParseError) -> String {
            skipSpaces()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "'") || bytes[index] == UInt8(ascii: "\"") else {
                throw ParseError()
            }
            let quote = bytes[index]
            let start = index + 1
            guard let end = bytes[start...].firstIndex(of: quote) else { throw ParseError() }
            index = end + 1
            return String(decoding: bytes[start ..< end], as: UTF8.self)
        }

        /// The longest run of ASCII letters and digits from here (a number, `True` or `False`).
        mutating func word() -> Substring {
            skipSpaces()
            let start = index
            while index < bytes.count, isASCIIAlphanumeric(bytes[index]) { index += 1 }
            return Substring(decoding: bytes[start ..< index], as: UTF8.self)
        }

        func isASCIIAlphanumeric(_ c: UInt8) -> Bool {
            (0x30 ... 0x39).contains(c) || (0x41 ... 0x5A).contains(c) || (0x61 ... 0x7A).contains(c)
        }

        mutating func value() throws(ParseError) -> PythonLiteral {
            skipSpaces()
            guard index < bytes.count else { throw ParseError() }
            switch bytes[index] {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try quoted())
            case UInt8(ascii: "("):
                index += 1
                var items: [Int] = []
                while true {
                    if consume(UInt8(ascii: ")")) { break }
                    guard let n = Int(word()), n >= 0 else { throw ParseError() }
                    items.append(n)
                    if consume(UInt8(ascii: ",")) { continue }
                    try expect(UInt8(ascii: ")"))
                    break
                }
                return .tuple(items)
            default:
                switch word() {
                case "True": return .bool(true)
                case "False": return .bool(false)
                default: throw ParseError()
                }
            }
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\n" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\n" })!
        return self[first ... last]
    }
}
