import Foundation

/// One tensor of a safetensors file: a name, a shape and row-major values.
public struct SafetensorsTensor: Sendable, Equatable {
    /// The stored values.
    public enum Values: Sendable, Equatable {
        /// `F32` data.
        case float32([Float])
        /// `I32` data (index tensors such as a stored permutation).
        case int32([Int32])

        var count: Int {
            switch self {
            case let .float32(v): v.count
            case let .int32(v): v.count
            }
        }

        var dtype: String {
            switch self {
            case .float32: "F32"
            case .int32: "I32"
            }
        }
    }

    /// The tensor's shape (row-major).
    public var shape: [Int]
    /// Its values; their count is the product of `shape`.
    public var values: Values

    /// A tensor; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: Values) {
        precondition(shape.reduce(1, *) == values.count, "Shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// The values as floats, or nil for an integer tensor.
    public var floats: [Float]? {
        if case let .float32(v) = values { return v }
        return nil
    }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian header length `N`, an `N`-byte JSON header
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}` padded with
/// spaces to a multiple of 8, then the raw little-endian tensor bytes. Readable by `safetensors.numpy.load_file`.
public enum Safetensors {
    /// Writes `tensors` (in name order) and string `metadata` to `path` atomically. The bytes depend only on
    /// the arguments, so equal inputs give byte-identical files.
    public static func write(_ tensors: [String: SafetensorsTensor], metadata: [String: String], to path: String)
        throws(EmbeddingIOError)
    {
        let file = try AtomicOutputFile(path: path)
        try encode(tensors, metadata: metadata, path: path) { (bytes) throws(EmbeddingIOError) in try file.write(contentsOf: bytes) }
        try file.commit()
    }

    /// The bytes ``write(_:metadata:to:)`` writes, in memory (a model's fingerprint without a file).
    public static func encoded(_ tensors: [String: SafetensorsTensor], metadata: [String: String]) throws(EmbeddingIOError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(tensors, metadata: metadata, path: "<memory>") { bytes.append(contentsOf: $0) }
        return bytes
    }

    private static func encode(_ tensors: [String: SafetensorsTensor], metadata: [String: String], path: String,
                               to sink: ([UInt8]) throws(EmbeddingIOError) -> Void) throws(EmbeddingIOError) {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            let bytes = tensor.values.count * 4
            header[name] = ["dtype": tensor.values.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw .cannotWrite(path: path, reason: "metadata cannot be encoded as JSON") }
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        let length = UInt64(json.count)
        try sink((0 ..< 8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) })
        try sink(Array(json))
        for name in names {
            switch tensors[name]!.values {
            case let .float32(values): try sink(values.withUnsafeBytes { Array($0) })  // little-endian hosts, as the reader
            case let .int32(values): try sink(values.withUnsafeBytes { Array($0) })
            }
        }
    }

    /// Reads every tensor and the metadata of a safetensors file, checking offsets, dtypes and sizes.
    public static func read(_ path: String) throws(EmbeddingIOError) -> (tensors: [String: SafetensorsTensor], metadata: [String: String]) {
        func fail(_ problem: String) -> EmbeddingIOError { .invalidSafetensors(path: path, problem: problem) }
        let file = try InputFile(path: path)
        let prefix = file.readBytes(8)
        if prefix.isEmpty { throw .emptyFile(path: path, expected: "a safetensors model file") }
        guard prefix.count == 8 else { throw EmbeddingIOError.truncated(path: path, expectedBytes: 8, actualBytes: prefix.count) }
        let headerLength = prefix.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength > 0, headerLength <= file.size - 8 else {
            throw fail("the safetensors header length \(headerLength) does not fit a file of \(file.size) bytes")
        }
        let headerBytes = file.readBytes(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)),
              let header = object as? [String: Any]
        else { throw fail("the safetensors header is not a JSON object") }
        let dataSize = file.size - 8 - headerLength
        let data = file.readBytes(dataSize)
        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let values = entry as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = values
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard dtype == "F32" || dtype == "I32" else {
                throw fail("tensor '\(name)' has dtype \(dtype); F32 and I32 are supported")
            }
            guard let bytes = byteCount(shape: shape, elementSize: 4) else {
                throw fail("tensor '\(name)' has shape \(shape); sizes must be non-negative and fit in memory")
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == bytes else {
                throw fail("tensor '\(name)' of shape \(shape) has data_offsets \(offsets)")
            }
            guard offsets[1] <= dataSize else {
                throw EmbeddingIOError.truncated(path: path, expectedBytes: 8 + headerLength + min(offsets[1], Int.max - 8 - headerLength), actualBytes: file.size)
            }
            let raw = data[offsets[0] ..< offsets[1]]
            let words = stride(from: raw.startIndex, to: raw.endIndex, by: 4).map { i in
                UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24
            }
            let values: SafetensorsTensor.Values = dtype == "F32"
                ? .float32(words.map(Float.init(bitPattern:))) : .int32(words.map { Int32(bitPattern: $0) })
            tensors[name] = SafetensorsTensor(shape: shape, values: values)
        }
        return (tensors, metadata)
    }
}
