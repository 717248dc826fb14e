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
        let text = String(decoding: bytes[start ..< start + headerLength], as: UTF8.self)
        let dict: [String: PythonLiteral]
        do { dict = try PythonLiteral.parseDict(text) } catch {
            throw fail("the header dictionary \(text.trimmingSpaces.debugDescription) cannot be parsed")
        }
        guard case let .string(descr)? = dict["descr"] else { throw fail("the header has no 'descr' string") }
        guard case let .bool(fortran)? = dict["fortran_order"] else {
            throw fail("the header has no 'fortran_order' flag")
        }
        guard case let .tuple(shape)? = dict["shape"] else { throw fail("the header has no 'shape' tuple") }
        let normalisedDescr = descr.first == "=" ? "<" + descr.dropFirst() : descr
        guard let type = NpyElementType(rawValue: normalisedDescr) else {
            if descr.first == ">" {
                throw fail("dtype \(descr) is big-endian; only little-endian float16, float32 and float64 are supported")
            }
            throw fail("dtype \(descr) is not supported; expected little-endian float32 ('<f4'), float16 or float64")
        }
        guard !fortran else {
            throw fail("the array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray)")
        }
        guard shape.count == 2 else {
            throw fail("shape \(shape) is \(shape.count)-D; expected a 2-D array of vectors (rows, dimension)")
        }
        return NpyHeader(elementType: type, rows: shape[0], columns: shape[1], dataOffset: start + headerLength)
    }

    /// The bytes of a format-1.0 header for a float32 `rows × columns` C-order array, padded so that the
    /// data starts on a 64-byte boundary (as numpy writes it).
    static func encodeFloat32(rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
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
    static func parseDict(_ text: String) throws(ParseError) -> [String: PythonLiteral] {
        var scanner = Scanner(Array(text.unicodeScalars))
        var result: [String: PythonLiteral] = [:]
        try scanner.expect("{")
        while true {
            scanner.skipSpaces()
            if scanner.consume("}") { break }
            let key = try scanner.quoted()
            try scanner.expect(":")
            result[key] = try scanner.value()
            scanner.skipSpaces()
            if scanner.consume(",") { continue }
            try scanner.expect("}")
            break
        }
        return result
    }

    private struct Scanner {
        var chars: [Unicode.Scalar]
        var index = 0
        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        mutating func skipSpaces() {
            while index < chars.count, chars[index] == " " || chars[index] == "\n" || chars[index] == "\t" {
                index += 1
            }
        }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            skipSpaces()
            guard index < chars.count, chars[index] == c else { return false }
            index += 1
            return true
        }

        mutating func expect(_ c: Unicode.Scalar) throws(ParseError) {
            guard consume(c) else { throw ParseError() }
        }

        mutating func quoted() throws(ParseError) -> String {
            skipSpaces()
            guard index < chars.count, chars[index] == "'" || chars[index] == "\"" else { throw ParseError() }
            let quote = chars[index]
            index += 1
            var s = String.UnicodeScalarView()
            while index < chars.count, chars[index] != quote {
                s.append(chars[index])
                index += 1
            }
            guard index < chars.count else { throw ParseError() }
            index += 1
            return String(s)
        }

        mutating func word() -> String {
            skipSpaces()
            var s = String.UnicodeScalarView()
            while index < chars.count, chars[index].properties.isAlphabetic || ("0" ... "9").contains(chars[index]) {
                s.append(chars[index])
                index += 1
            }
            return String(s)
        }

        mutating func value() throws(ParseError) -> PythonLiteral {
            skipSpaces()
            guard index < chars.count else { throw ParseError() }
            switch chars[index] {
            case "'", "\"":
                return .string(try quoted())
            case "(":
                index += 1
                var items: [Int] = []
                while true {
                    if consume(")") { break }
                    guard let n = Int(word()), n >= 0 else { throw ParseError() }
                    items.append(n)
                    if consume(",") { continue }
                    try expect(")")
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
