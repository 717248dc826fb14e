import Foundation
import Hummingbird
import Matryoshka

/// How vectors are written in a response.
public enum EncodingFormat: String, Sendable {
    /// JSON arrays of numbers.
    case float
    /// Base64 of the little-endian float32 bytes (what the `openai` Python client asks for by default).
    case base64
}

/// The number type of returned embeddings, in Voyage AI's convention (`output_dtype`).
public enum OutputDType: String, Sendable, CaseIterable {
    /// The unit float embedding.
    case float
    /// One signed byte per coordinate: the coordinate's level on its corpus range, less 128 (`int8` codes).
    case int8
    /// One unsigned byte per coordinate: the level itself, 0…255.
    case uint8
    /// The centred signs packed eight to a byte (numpy's `packbits`), each byte less 128 (offset binary), as signed
    /// bytes: `⌈m/8⌉` per embedding.
    case binary
    /// The same packed bytes, unsigned.
    case ubinary

    /// The codes behind it (nil for float).
    public var precision: Precision? {
        switch self {
        case .float: nil
        case .int8, .uint8: .int8
        case .binary, .ubinary: .binary
        }
    }

    /// The value a stored code byte is reported as (codes store int8 as the level less 128, bits as packed bytes).
    func value(_ byte: UInt8) -> Int {
        switch self {
        case .int8: Int(Int8(bitPattern: byte))
        case .uint8: Int(Int8(bitPattern: byte)) + 128
        case .binary: Int(byte) - 128
        case .ubinary, .float: Int(byte)
        }
    }
}

/// Base64 of `values` as little-endian float32.
func encodeBase64Floats(_ values: some Collection<Float>) -> String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * 4)
    for value in values {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
    }
    return Data(bytes).base64EncodedString()
}

/// The float32 values of base64 text holding little-endian float32 bytes (nil when it is not that).
func decodeBase64Floats(_ text: String) -> [Float]? {
    guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
    return data.withUnsafeBytes { raw in
        (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
}

/// OpenAI's embeddings list: `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
/// "usage"}`, each embedding a JSON array of numbers or base64 text.
///
/// Written by hand, not by `JSONEncoder`: it is measurably faster for the large float arrays this body carries
/// (BENCHMARKS.md, "Response bodies"), and each float32 is printed with its shortest round-trip decimal (`0.1`,
/// where `JSONSerialization` would print the float through a Double as `0.10000000149011612`).
public struct EmbeddingList: ResponseGenerator, Sendable {
    /// One embedding per row.
    public var vectors: Matrix
    /// Numbers or base64.
    public var format: EncodingFormat
    /// The model name reported.
    public var model: String
    /// Token counts passed through from the upstream.
    public var usage: Usage
    /// With an `output_dtype` other than float: the codes, written instead of ``vectors`` (numbers as
    /// ``OutputDType`` says, or base64 of those bytes).
    public var codes: (dtype: OutputDType, codes: CodeMatrix)?

    /// A list from its parts.
    public init(vectors: Matrix, format: EncodingFormat, model: String, usage: Usage,
                codes: (dtype: OutputDType, codes: CodeMatrix)? = nil) {
        self.vectors = vectors
        self.format = format
        self.model = model
        self.usage = usage
        self.codes = codes
    }

    /// The JSON text.
    public var text: String {
        var text = #"{"object":"list","data":["#
        text.reserveCapacity(vectors.rows * vectors.columns * 12 + 200)
        let rows = codes?.codes.rows ?? vectors.rows
        for i in 0 ..< rows {
            if i > 0 { text += "," }
            text += #"{"object":"embedding","index":\#(i),"embedding":"#
            if let (dtype, codes) = codes {
                let stride = codes.bytesPerVector
                let values = codes.bytes[i * stride ..< (i + 1) * stride].map(dtype.value)
                switch format {
                case .float: text += "[" + values.map(String.init).joined(separator: ",") + "]"
                // Base64 of the values as bytes (two's complement for the signed types).
                case .base64: text += "\"" + Data(values.map { UInt8(truncatingIfNeeded: $0) }).base64EncodedString() + "\""
                }
                text += "}"
                continue
            }
            let row = vectors.rowSlice(i)
            switch format {
            case .float:
                text += "["
                var first = true
                for value in row {
                    if !first { text += "," }
                    first = false
                    text += value.description
                }
                text += "]"
            case .base64:
                text += "\"" + encodeBase64Floats(row) + "\""
            }
            text += "}"
        }
        let modelJSON = String(decoding: (try? JSONEncoder().encode(model)) ?? Data("\"\"".utf8), as: UTF8.self)
        text += #"],"model":\#(modelJSON),"usage":{"prompt_tokens":\#(usage.promptTokens),"total_tokens":\#(usage.totalTokens)}}"#
        return text
    }

    /// A `200` with the JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
