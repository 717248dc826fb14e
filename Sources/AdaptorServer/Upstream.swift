import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// What `/v1/embeddings` sends upstream: texts, or token arrays as OpenAI's API accepts them (LangChain sends these).
public enum EmbeddingInput: Sendable, Equatable {
    /// One or more texts.
    case texts([String])
    /// One or more token-id arrays, passed to the upstream as they are.
    case tokens([[Int]])

    /// How many inputs (each gives one vector).
    public var count: Int {
        switch self {
        case let .texts(texts): texts.count
        case let .tokens(tokens): tokens.count
        }
    }

    /// The JSON value of `input`.
    var json: Any {
        switch self {
        case let .texts(texts): texts
        case let .tokens(tokens): tokens
        }
    }
}

/// Inputs in, raw embedding vectors out: what the server puts the adaptor in front of.
public protocol TextEmbedder: Sendable {
    /// One vector per input, in order, and the tokens the upstream counted.
    func embed(_ input: EmbeddingInput) async throws(APIError) -> (vectors: [[Float]], usage: Usage)
}

/// Token counts, passed through from the upstream.
public struct Usage: Codable, Sendable, Equatable {
    /// Tokens in the input.
    public var promptTokens: Int
    /// Tokens counted in all.
    public var totalTokens: Int

    /// Counts from their parts.
    public init(promptTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.totalTokens = totalTokens
    }

    enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
}

/// An OpenAI-compatible embeddings endpoint (`POST {base}/embeddings`, the base URL's query kept, as Azure's
/// `api-version` needs), called with async-http-client.
///
/// The request asks for `encoding_format: float` and the upstream's own model name; a non-2xx answer becomes a
/// 502 carrying the upstream's status and its message (secrets removed, shortened), a timeout a 504, a refused or
/// failed connection a 502 at once. The key goes in the `Authorization` header only and is never logged or echoed.
public struct OpenAIUpstream: TextEmbedder {
    /// The endpoint, `{base}/embeddings?{query}`.
    public let endpoint: URL
    /// The model name sent upstream.
    public let model: String
    let apiKey: String?
    /// Time allowed for one upstream call.
    public let timeout: TimeAmount
    /// The largest answer read (bytes); a larger one is a 502.
    public let maxAnswerBytes: Int
    let client: HTTPClient
    /// Values that must never reach a client or a log (the upstream key, the server's own key).
    let secrets: [String]

    /// An upstream at a checked base URL (``UpstreamURL``).
    public init(base: UpstreamURL, model: String, apiKey: String?, timeout: TimeAmount, client: HTTPClient,
                maxAnswerBytes: Int = 256 << 20, secrets: [String] = []) {
        endpoint = base.endpoint
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
        self.maxAnswerBytes = maxAnswerBytes
        self.secrets = ([apiKey] + secrets).compactMap { $0 }.filter { !$0.isEmpty }
    }

    struct Answer: Decodable {
        struct Item: Decodable {
            var index: Int?
            var embedding: [Float]
        }

        var data: [Item]
        var usage: Usage?
    }

    public func embed(_ input: EmbeddingInput) async throws(APIError) -> (vectors: [[Float]], usage: Usage) {
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let body: [String: Any] = ["model": model, "input": input.json, "encoding_format": "float"]
        guard let encoded = try? JSONSerialization.data(withJSONObject: body) else {
            throw APIError(status: .internalServerError, message: "The request to the upstream could not be encoded.",
                           type: "server_error", code: "upstream_request")
        }
        request.body = .bytes(ByteBuffer(data: encoded))
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw failure(error)
        }
        do {
            bytes = try await response.body.collect(upTo: maxAnswerBytes)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw APIError(status: .badGateway, message: "The upstream embedding service answered more than "
                           + "\(maxAnswerBytes >> 20) MB; the server reads at most that.", type: "upstream_error",
                           code: "upstream_too_large")
        } catch {
            throw failure(error)
        }
        guard (200 ..< 300).contains(response.status.code) else {
            throw APIError(status: .badGateway, message: "The upstream embedding service answered \(response.status.code): "
                           + redacted(Self.upstreamMessage(bytes)), type: "upstream_error",
                           code: "upstream_status_\(response.status.code)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: bytes)), answer.data.count == input.count
        else {
            throw APIError(status: .badGateway, message: "The upstream embedding service answered with a body that is not "
                           + "an embeddings list of \(input.count) items.", type: "upstream_error", code: "upstream_malformed")
        }
        let ordered = answer.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return (ordered.map(\.element.embedding), answer.usage ?? Usage(promptTokens: 0, totalTokens: 0))
    }

    /// A failed call as the client sees it: a timeout (504) or an unreachable service (502), described without the
    /// library's internals (source paths, addresses of objects) or any secret.
    func failure(_ error: any Error) -> APIError {
        if let error = error as? HTTPClientError,
           error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout || error == .tlsHandshakeTimeout
        {
            return APIError(status: .gatewayTimeout, message: "The upstream embedding service did not answer within "
                            + "\(Double(timeout.nanoseconds) / 1e9) s.", type: "upstream_error", code: "upstream_timeout")
        }
        return APIError(status: .badGateway, message: "The upstream embedding service could not be reached: "
                        + redacted(Self.plainDescription(of: error)) + ".", type: "upstream_error", code: "upstream_unreachable")
    }

    /// `text` with every secret replaced by `***`.
    func redacted(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// The upstream's `error.message`, or the start of its body, at most 300 characters.
    static func upstreamMessage(_ bytes: ByteBuffer) -> String {
        let data = Data(buffer: bytes)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            return String(message.prefix(300))
        }
        return String(String(decoding: data.prefix(300), as: UTF8.self).prefix(300))
    }

    /// An error's description without file paths (`/…/handshake.cc:393`) and shortened: what a client may read.
    static func plainDescription(of error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") { return "connection refused" }
        let withoutPaths = text.replacingOccurrences(of: #"(?:\sat)?\s?/[^\s\])]*:\d+"#, with: "", options: .regularExpression)
        return String(withoutPaths.prefix(200))
    }
}
