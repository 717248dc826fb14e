import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// Texts in, raw embedding vectors out: what the server puts the adaptor in front of.
public protocol TextEmbedder: Sendable {
    /// One vector per text, in order, and the tokens the upstream counted.
    func embed(_ texts: [String]) async throws(APIError) -> (vectors: [[Float]], usage: Usage)
}

/// Token counts, passed through from the upstream.
public struct Usage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.totalTokens = totalTokens
    }

    enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
}

/// An OpenAI-compatible embeddings endpoint (`POST {base}/embeddings`), called with async-http-client.
///
/// The request asks for `encoding_format: float` and the upstream's own model name; a non-2xx answer becomes a
/// 502 carrying the upstream's status and message, a timeout a 504, an unreachable host a 502. The key goes in the
/// `Authorization` header only and is never logged or echoed.
public struct OpenAIUpstream: TextEmbedder {
    /// The base URL, e.g. `http://127.0.0.1:9000/v1` (`/embeddings` is appended).
    public let baseURL: String
    /// The model name sent upstream.
    public let model: String
    let apiKey: String?
    /// Time allowed for one upstream call.
    public let timeout: TimeAmount
    let client: HTTPClient

    public init(baseURL: String, model: String, apiKey: String?, timeout: TimeAmount, client: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.client = client
    }

    struct Answer: Decodable {
        struct Item: Decodable {
            var index: Int?
            var embedding: [Float]
        }

        var data: [Item]
        var usage: Usage?
    }

    public func embed(_ texts: [String]) async throws(APIError) -> (vectors: [[Float]], usage: Usage) {
        var request = HTTPClientRequest(url: baseURL + "/embeddings")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let body: [String: Any] = ["model": model, "input": texts, "encoding_format": "float"]
        request.body = .bytes(ByteBuffer(data: (try? JSONSerialization.data(withJSONObject: body)) ?? Data()))
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout
            || error == .connectTimeout
        {
            throw APIError(status: .gatewayTimeout, message: "The upstream embedding service did not answer within "
                           + "\(Double(timeout.nanoseconds) / 1e9) s.", type: "upstream_error", code: "upstream_timeout")
        } catch {
            throw APIError(status: .badGateway, message: "The upstream embedding service could not be reached: \(error).",
                           type: "upstream_error", code: "upstream_unreachable")
        }
        guard (200 ..< 300).contains(response.status.code) else {
            throw APIError(status: .badGateway, message: "The upstream embedding service answered \(response.status.code): "
                           + Self.upstreamMessage(bytes), type: "upstream_error", code: "upstream_status_\(response.status.code)")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: bytes)),
              answer.data.count == texts.count
        else {
            throw APIError(status: .badGateway, message: "The upstream embedding service answered with a body that is not "
                           + "an embeddings list of \(texts.count) items.", type: "upstream_error", code: "upstream_malformed")
        }
        let ordered = answer.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return (ordered.map(\.element.embedding), answer.usage ?? Usage(promptTokens: 0, totalTokens: 0))
    }

    /// The upstream's `error.message`, or the start of its body.
    static func upstreamMessage(_ bytes: ByteBuffer) -> String {
        let data = Data(buffer: bytes)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            return message
        }
        return String(decoding: data.prefix(300), as: UTF8.self)
    }
}
