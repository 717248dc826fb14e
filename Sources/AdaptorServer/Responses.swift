import Foundation
import Hummingbird

/// A `Codable` body written as JSON with sorted keys (the typed responses: search results, health).
public protocol JSONBody: Encodable, ResponseGenerator {}

extension JSONBody {
    /// A `200` with the JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try jsonData())))
    }

    /// The JSON bytes, keys sorted.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// `/v1/search`'s answer: per query, its best documents with cosine scores, best first.
public struct SearchResponse: JSONBody, Decodable, Sendable, Equatable {
    /// One document found.
    public struct Hit: Codable, Sendable, Equatable {
        /// The document's id.
        public var id: String
        /// Its cosine similarity to the query at the searched size.
        public var score: Float

        /// A hit from its parts.
        public init(id: String, score: Float) {
            self.id = id
            self.score = score
        }
    }

    /// One query's documents.
    public struct Result: Codable, Sendable, Equatable {
        /// Always `search_result`.
        public var object = "search_result"
        /// The query's position in the request.
        public var index: Int
        /// Best first.
        public var results: [Hit]

        /// A result from its parts.
        public init(index: Int, results: [Hit]) {
            self.index = index
            self.results = results
        }
    }

    /// Always `list`.
    public var object = "list"
    /// One result per query, in request order.
    public var data: [Result]
    /// The served model's name.
    public var model: String
    /// Documents asked per query.
    public var k: Int
    /// The funnel's shortlist size `m'`, when one was used in memory.
    public var shortlistDimension: Int?
    /// The shortlist length `K`, when a funnel was used.
    public var shortlistSize: Int?
    /// The PostgreSQL table searched, for a database search.
    public var table: String?
    /// The table's stored prefix size `m`, for a database search.
    public var dimension: Int?

    /// A response from its parts.
    public init(data: [Result], model: String, k: Int) {
        self.data = data
        self.model = model
        self.k = k
    }

    enum CodingKeys: String, CodingKey {
        case object, data, model, k, table, dimension
        case shortlistDimension = "shortlist_dimension", shortlistSize = "shortlist_size"
    }
}

/// `GET /health`: what the server serves.
struct HealthResponse: JSONBody {
    var status = "ok"
    var model: String
    var dimension: Int
    var upstream: Bool
    var corpusDocuments: Int
    var table: String?

    enum CodingKeys: String, CodingKey {
        case status, model, dimension, upstream, corpusDocuments = "corpus_documents", table
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(model, forKey: .model)
        try container.encode(dimension, forKey: .dimension)
        try container.encode(upstream, forKey: .upstream)
        try container.encode(corpusDocuments, forKey: .corpusDocuments)
        try container.encode(table, forKey: .table)  // null without a table, as before
    }
}

/// A JSON body already written (off the request threads, by the heavy-work queue), sent as it is.
struct PreparedResponse: ResponseGenerator, Sendable {
    var bytes: ByteBuffer

    /// The body of `text`.
    init(text: String) { bytes = ByteBuffer(string: text) }

    /// The JSON of a typed body.
    init(_ body: some JSONBody) throws(APIError) {
        do {
            bytes = ByteBuffer(bytes: try body.jsonData())
        } catch {
            throw APIError(status: .internalServerError, message: "The answer could not be encoded.", type: "server_error",
                           code: "encoding_failed")
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }
}
