import Foundation

/// A request body parsed as a JSON object, with typed field access that fails as OpenAI does (400, naming the
/// field).
struct JSONRequest {
    let fields: [String: Any]

    /// Parses `data` as one JSON object; only the `allowed` keys may appear.
    init(_ data: Data, allowed: Set<String>) throws(APIError) {
        guard !data.isEmpty else { throw .invalid("The request body is empty; expected a JSON object.") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw .invalid("The request body is not valid JSON.")
        }
        guard let object = parsed as? [String: Any] else { throw .invalid("The request body must be a JSON object.") }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalid("Unrecognized request argument supplied: \(unknown)", param: unknown)
        }
        fields = object
    }

    func has(_ key: String) -> Bool { fields[key] != nil && !(fields[key] is NSNull) }

    func string(_ key: String) throws(APIError) -> String? {
        guard has(key) else { return nil }
        guard let value = fields[key] as? String else { throw .invalid("'\(key)' must be a string.", param: key) }
        return value
    }

    /// An integer field in `range` (JSON numbers with a fraction, and `true` and `false`, are refused).
    func integer(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard has(key) else { return nil }
        guard let number = fields[key] as? NSNumber, !isBoolean(number), let value = Int(exactly: number.doubleValue) else {
            throw .invalid("'\(key)' must be an integer.", param: key)
        }
        guard range.contains(value) else {
            throw .invalid("'\(key)' must be between \(range.lowerBound) and \(range.upperBound); got \(value).", param: key)
        }
        return value
    }

    /// `encoding_format`: `float` (default) or `base64`.
    func encodingFormat() throws(APIError) -> EncodingFormat {
        guard let value = try string("encoding_format") else { return .float }
        guard let format = EncodingFormat(rawValue: value) else {
            throw .invalid("'encoding_format' must be 'float' or 'base64'; got '\(value)'.", param: "encoding_format")
        }
        return format
    }

    /// `output_dtype` (Voyage AI's): `float` (default), `int8`, `uint8`, `binary` or `ubinary`.
    func outputDType() throws(APIError) -> OutputDType {
        guard let value = try string("output_dtype") else { return .float }
        guard let dtype = OutputDType(rawValue: value) else {
            throw .invalid("'output_dtype' must be one of \(OutputDType.allCases.map(\.rawValue).joined(separator: ", ")); "
                           + "got '\(value)'.", param: "output_dtype")
        }
        return dtype
    }

    /// `input` as texts: one string or an array of strings, none empty, at most `limit`.
    func texts(_ key: String = "input", limit: Int) throws(APIError) -> [String] {
        guard case let .texts(texts) = try input(key, limit: limit) else {
            throw .invalid("'\(key)' holds token arrays; this route takes texts (a string or an array of strings).",
                           param: key)
        }
        return texts
    }

    /// `input` as OpenAI's embeddings API takes it: a string, an array of strings, an array of token ids, or an array
    /// of such arrays (token ids are non-negative integers); none empty, at most `limit` inputs.
    func input(_ key: String = "input", limit: Int) throws(APIError) -> EmbeddingInput {
        guard has(key) else { throw .invalid("'\(key)' is required.", param: key) }
        let value = fields[key]!
        if let one = value as? String {
            guard !one.isEmpty else { throw .invalid("'\(key)' is an empty string; every input must have text.", param: key) }
            return .texts([one])
        }
        guard let many = value as? [Any] else {
            throw .invalid("'\(key)' must be a string, an array of strings or token arrays.", param: key)
        }
        try Self.checkCount(many.count, key: key, limit: limit)
        if many.first is String {
            var strings: [String] = []
            for (i, element) in many.enumerated() {
                guard let text = element as? String else { throw .invalid("'\(key)[\(i)]' must be a string.", param: key) }
                guard !text.isEmpty else {
                    throw .invalid("'\(key)[\(i)]' is an empty string; every input must have text.", param: key)
                }
                strings.append(text)
            }
            return .texts(strings)
        }
        if many.first is NSNumber {
            return .tokens([try tokens(many, name: key)])
        }
        var arrays: [[Int]] = []
        for (i, element) in many.enumerated() {
            guard let array = element as? [Any] else {
                throw .invalid("'\(key)[\(i)]' must be a token array like the others.", param: key)
            }
            arrays.append(try tokens(array, name: "\(key)[\(i)]"))
        }
        return .tokens(arrays)
    }

    /// A non-empty array of token ids (integers from 0 to 2³¹ − 1, not booleans).
    func tokens(_ array: [Any], name: String) throws(APIError) -> [Int] {
        guard !array.isEmpty else { throw .invalid("'\(name)' is an empty token array.", param: "input") }
        var ids: [Int] = []
        ids.reserveCapacity(array.count)
        for element in array {
            guard let number = element as? NSNumber, !isBoolean(number), let id = Int(exactly: number.doubleValue),
                  id >= 0, id <= Int(Int32.max)
            else { throw .invalid("'\(name)' must hold token ids: integers from 0 to 2147483647.", param: "input") }
            ids.append(id)
        }
        return ids
    }

    /// `input` as vectors: an array of number arrays or of base64 strings (little-endian float32), or one of
    /// either; every one of `dimension` finite values, at most `limit`.
    func vectors(_ key: String = "input", dimension: Int, limit: Int) throws(APIError) -> [[Float]] {
        guard has(key) else { throw .invalid("'\(key)' is required.", param: key) }
        let raw = fields[key]!
        let items: [Any]
        if raw is String || (raw as? [Any])?.first is NSNumber {
            items = [raw]
        } else if let many = raw as? [Any] {
            items = many
        } else {
            throw .invalid("'\(key)' must be a vector (numbers or base64) or an array of them.", param: key)
        }
        try Self.checkCount(items.count, key: key, limit: limit)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let vector: [Float]
            if let text = item as? String {
                guard let decoded = decodeBase64Floats(text) else {
                    throw .invalid("'\(key)[\(i)]' is not base64 of little-endian float32 values.", param: key)
                }
                vector = decoded
            } else if let numbers = item as? [Any] {
                var values: [Float] = []
                values.reserveCapacity(numbers.count)
                for number in numbers {
                    guard let value = number as? NSNumber, !isBoolean(value) else {
                        throw .invalid("'\(key)[\(i)]' must hold only numbers.", param: key)
                    }
                    values.append(value.floatValue)
                }
                vector = values
            } else {
                throw .invalid("'\(key)[\(i)]' must be an array of numbers or a base64 string.", param: key)
            }
            guard vector.count == dimension else {
                throw .invalid("'\(key)[\(i)]' has \(vector.count) values; the adaptor takes \(dimension).", param: key)
            }
            if let bad = vector.firstIndex(where: { !$0.isFinite }) {
                throw .invalid("'\(key)[\(i)]' value \(bad) is not finite.", param: key)
            }
            guard vector.contains(where: { $0 != 0 }) else {
                throw .invalid("'\(key)[\(i)]' is all zeros and has no direction.", param: key)
            }
            vectors.append(vector)
        }
        return vectors
    }

    static func checkCount(_ count: Int, key: String, limit: Int) throws(APIError) {
        guard count > 0 else { throw .invalid("'\(key)' is empty; give at least one input.", param: key) }
        guard count <= limit else {
            throw .invalid("'\(key)' has \(count) inputs; at most \(limit) are allowed per request.", param: key)
        }
    }
}

/// Whether a JSON number is really `true` or `false` (Foundation hands both as `NSNumber`, and `true as? Int` is 1).
func isBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
}
