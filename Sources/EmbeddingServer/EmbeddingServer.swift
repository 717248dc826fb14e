import AdaptorNN
import EmbeddingMath
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Synchronization
import VectorSearch

/// A corpus held for `/v1/search`: its ids and the adapted vectors, with shortlist tiers built on first use.
public final class SearchCorpus: Sendable {
    /// Document ids, one per row.
    public let ids: [String]
    /// The full adapted vectors, normalised.
    public let full: FlatIndex
    private let tiers = Mutex<[Int: TwoTierIndex]>([:])

    /// `ids` and the adapted corpus (`N × D`, any norm).
    public convenience init(ids: [String], adapted: Matrix) {
        self.init(ids: ids, full: FlatIndex(vectors: adapted))
    }

    /// `ids` and an index of the adapted corpus.
    public init(ids: [String], full: FlatIndex) {
        precondition(ids.count == full.count, "One id per row")
        self.ids = ids
        self.full = full
    }

    /// The funnel at shortlist dimension `m` (built once, about `N × m` floats) with shortlist length `size`.
    func funnel(dimension m: Int, size: Int) -> TwoTierIndex {
        let tier = tiers.withLock { cache in
            if let known = cache[m] { return known }
            let made = TwoTierIndex(full: full, shortlistDimension: m, shortlistSize: size)
            cache[m] = made
            return made
        }
        var funnel = tier
        funnel.shortlistSize = size
        return funnel
    }
}

/// What `matryoshka serve` runs: the routes, their limits and their collaborators.
public struct ServerSettings: Sendable {
    /// Bind address.
    public var host = "127.0.0.1"
    /// Port (0: any free port, reported through `onServerRunning`).
    public var port = 8080
    /// The model name reported in responses.
    public var modelName = "matryoshka"
    /// Largest request body accepted (bytes); larger ones get 413.
    public var maxBodyBytes = 16 << 20
    /// Most inputs (texts or vectors) in one request.
    public var maxInputs = 2048
    /// When set, every `/v1/` request must carry `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Default shortlist for `/v1/search` (nil: exact search at the full dimension unless a request asks).
    public var shortlistDimension: Int?
    /// Default shortlist length `K`.
    public var shortlistSize = 100

    public init() {}
}

/// The HTTP application: `POST /v1/embeddings` (OpenAI-compatible, with `dimensions`), `POST /v1/adapt`,
/// `POST /v1/search`, `GET /health`, `GET /metrics` (Prometheus text).
public struct EmbeddingServer: Sendable {
    public let settings: ServerSettings
    public let adaptor: AdaptedVectors
    public let upstream: (any TextEmbedder)?
    public let corpus: SearchCorpus?
    /// A pgvector table that `/v1/search` runs in instead of an in-memory corpus.
    public let database: DatabaseSearch?
    public let metrics: ServerMetrics
    let logger: Logger

    public init(settings: ServerSettings, adaptor: AdaptedVectors, upstream: (any TextEmbedder)?, corpus: SearchCorpus?,
                database: DatabaseSearch? = nil, metrics: ServerMetrics = ServerMetrics(),
                logger: Logger = Logger(label: "matryoshka.serve")) {
        precondition(corpus == nil || database == nil, "Search one corpus: in memory or in the database")
        self.settings = settings
        self.adaptor = adaptor
        self.upstream = upstream
        self.corpus = corpus
        self.database = database
        self.metrics = metrics
        self.logger = logger
    }

    /// The router with every route and middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogAndMetrics(metrics: metrics, logger: logger))
        router.get("/health") { _, _ -> Response in
            Self.json(["status": "ok", "model": settings.modelName, "dimension": adaptor.outputDimension,
                       "upstream": upstream != nil, "corpus_documents": corpus?.ids.count ?? 0,
                       "table": database?.search.table.description ?? NSNull()])
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        let api = router.group("v1").add(middleware: BearerKey(key: settings.apiKey))
        api.post("embeddings") { request, context in try await embeddings(request, context) }
        api.post("adapt") { request, context in try await adapt(request, context) }
        api.post("search") { request, context in try await search(request, context) }
        return router
    }

    /// The application on `settings.host:port`; `onServerRunning` gets the bound channel (for port 0).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        Application(router: router(), configuration: .init(address: .hostname(settings.host, port: settings.port),
                                                           serverName: "matryoshka"),
                    onServerRunning: onServerRunning, logger: logger)
    }

    // MARK: Routes

    func body(_ request: Request) async throws(APIError) -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: settings.maxBodyBytes))
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body is larger than \(settings.maxBodyBytes) bytes.",
                           type: "invalid_request_error", code: "request_too_large")
        }
    }

    func dimensions(_ request: JSONRequest) throws(APIError) -> Int? {
        try request.integer("dimensions", in: 1 ... adaptor.outputDimension)
    }

    func embeddings(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parsed = try JSONRequest(try await body(request),
                                     allowed: ["input", "model", "encoding_format", "dimensions", "user"])
        let texts = try parsed.texts(limit: settings.maxInputs)
        let format = try parsed.encodingFormat()
        let m = try dimensions(parsed)
        _ = try parsed.string("model")
        _ = try parsed.string("user")
        guard let upstream else {
            throw APIError(status: .notImplemented, message: "This server has no upstream embedding service (--upstream); "
                           + "use /v1/adapt with vectors.", type: "invalid_request_error", code: "no_upstream")
        }
        let (raw, usage) = try await embedUpstream(upstream, texts)
        let adapted = adaptor.adapt(raw, dimensions: m)
        return Self.embeddingList(adapted, format: format, model: settings.modelName, usage: usage)
    }

    func adapt(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parsed = try JSONRequest(try await body(request), allowed: ["input", "model", "encoding_format", "dimensions"])
        let vectors = try parsed.vectors(dimension: adaptor.inputDimension, limit: settings.maxInputs)
        let format = try parsed.encodingFormat()
        let m = try dimensions(parsed)
        _ = try parsed.string("model")
        let adapted = adaptor.adapt(Matrix(rows: vectors.count, columns: adaptor.inputDimension, storage: vectors.flatMap { $0 }),
                                    dimensions: m)
        return Self.embeddingList(adapted, format: format, model: settings.modelName, usage: Usage(promptTokens: 0, totalTokens: 0))
    }

    func search(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let parsed = try JSONRequest(try await body(request),
                                     allowed: ["input", "vector", "k", "shortlist_dimension", "shortlist_size", "model"])
        if corpus == nil, database == nil {
            throw APIError(status: .notImplemented, message: "This server holds no corpus (--corpus, --data or --postgres); "
                           + "/v1/search needs one.", type: "invalid_request_error", code: "no_corpus")
        }
        let documents = corpus?.ids.count ?? Int.max
        let k = try parsed.integer("k", in: 1 ... min(1000, documents)) ?? min(10, documents)
        let m = try parsed.integer("shortlist_dimension", in: 1 ... adaptor.outputDimension) ?? settings.shortlistDimension
        let requestedSize = try parsed.integer("shortlist_size", in: k ... min(documents, 100_000))
        let size = requestedSize ?? max(k, min(settings.shortlistSize, documents))
        let raw: Matrix
        switch (parsed.has("input"), parsed.has("vector")) {
        case (true, false):
            guard let upstream else {
                throw APIError.invalid("This server has no upstream embedding service; search by 'vector'.", param: "input")
            }
            raw = try await embedUpstream(upstream, try parsed.texts(limit: settings.maxInputs)).vectors
        case (false, true):
            let vectors = try parsed.vectors("vector", dimension: adaptor.inputDimension, limit: settings.maxInputs)
            raw = Matrix(rows: vectors.count, columns: adaptor.inputDimension, storage: vectors.flatMap { $0 })
        default:
            throw APIError.invalid("Give exactly one of 'input' (query texts) and 'vector' (raw query vectors).")
        }
        if let database {
            return try await searchDatabase(database, raw, k: k, shortlistDimension: m, shortlistSize: requestedSize)
        }
        let corpus = corpus!
        let queries = adaptor.adapt(raw, dimensions: nil)
        let results = m.map { corpus.funnel(dimension: $0, size: size).search(queries, k: k) } ?? corpus.full.search(queries, k: k)
        let data: [[String: Any]] = (0 ..< queries.rows).map { q in
            let hits = zip(results.neighbours(of: q), results.neighbourScores(of: q)).filter { $0.0 >= 0 }
            return ["object": "search_result", "index": q,
                    "results": hits.map { ["id": corpus.ids[$0.0], "score": Double($0.1)] as [String: Any] }]
        }
        var answer: [String: Any] = ["object": "list", "data": data, "model": settings.modelName, "k": k]
        if let m { answer["shortlist_dimension"] = m; answer["shortlist_size"] = size }
        return Self.json(answer)
    }

    /// `/v1/search` in PostgreSQL: queries adapted as the table's rows were (prefix at its `m`, full vectors for the
    /// funnel), one statement each.
    func searchDatabase(_ database: DatabaseSearch, _ raw: Matrix, k: Int, shortlistDimension: Int?, shortlistSize: Int?)
        async throws(APIError) -> Response
    {
        let layout = database.search.layout
        if let shortlistDimension, shortlistDimension != layout.dimension {
            throw APIError.invalid("The table stores \(layout.dimension)-d prefixes; 'shortlist_dimension' must be "
                                   + "\(layout.dimension) or left out.", param: "shortlist_dimension")
        }
        if shortlistSize != nil, layout.fullDimension == nil {
            throw APIError.invalid("The table has no full vectors to re-rank with (load it with --full); leave out "
                                   + "'shortlist_size'.", param: "shortlist_size")
        }
        let prefixes = adaptor.adapt(raw, dimensions: layout.dimension)
        let full = shortlistSize == nil ? nil : adaptor.adapt(raw, dimensions: nil)
        func rows(_ matrix: Matrix) -> [ArraySlice<Float>] {
            (0 ..< matrix.rows).map { matrix.storage[$0 * matrix.columns ..< ($0 + 1) * matrix.columns] }
        }
        let results = try await database.run(prefixes: rows(prefixes), full: full.map(rows), k: k, shortlistSize: shortlistSize)
        let data: [[String: Any]] = results.enumerated().map { q, hits in
            ["object": "search_result", "index": q, "results": hits.map { ["id": $0.id, "score": Double($0.score)] as [String: Any] }]
        }
        var answer: [String: Any] = ["object": "list", "data": data, "model": settings.modelName, "k": k,
                                     "table": database.search.table.description, "dimension": layout.dimension]
        if let shortlistSize { answer["shortlist_size"] = shortlistSize }
        return Self.json(answer)
    }

    /// Upstream vectors as a matrix, checked against the adaptor's input dimension; failures are counted.
    func embedUpstream(_ upstream: any TextEmbedder, _ texts: [String]) async throws(APIError) -> (vectors: Matrix, usage: Usage) {
        let start = ContinuousClock.now
        do throws(APIError) {
            let (vectors, usage) = try await upstream.embed(texts)
            metrics.upstreamDuration.record(ContinuousClock.now - start)
            let d = adaptor.inputDimension
            if let bad = vectors.firstIndex(where: { $0.count != d }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned a \(vectors[bad].count)-d "
                               + "vector; the adaptor takes \(d)-d vectors (is --upstream-model the model it was fitted on?).",
                               type: "upstream_error", code: "upstream_dimension")
            }
            if vectors.contains(where: { $0.contains { !$0.isFinite } }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned non-finite values.",
                               type: "upstream_error", code: "upstream_malformed")
            }
            return (Matrix(rows: vectors.count, columns: d, storage: vectors.flatMap { $0 }), usage)
        } catch {
            metrics.upstreamErrors(error.code ?? "upstream_error").increment()
            logger.warning("upstream call failed", metadata: ["status": "\(error.status.code)", "code": "\(error.code ?? "")"])
            throw error
        }
    }

    // MARK: Bodies

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// OpenAI's embeddings list: `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}`.
    static func embeddingList(_ vectors: Matrix, format: EncodingFormat, model: String, usage: Usage) -> Response {
        // Written by hand: JSONSerialization would print each float32 through a Double (0.1 → 0.10000000149011612).
        var text = #"{"object":"list","data":["#
        text.reserveCapacity(vectors.rows * vectors.columns * 12 + 200)
        for i in 0 ..< vectors.rows {
            if i > 0 { text += "," }
            text += #"{"object":"embedding","index":\#(i),"embedding":"#
            let row = vectors.storage[i * vectors.columns ..< (i + 1) * vectors.columns]
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
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// `Authorization: Bearer <key>` on every request when a key is set (401 with OpenAI's error object otherwise).
struct BearerKey<Context: RequestContext>: RouterMiddleware {
    let key: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let key {
            let given = request.headers[.authorization]
            guard let given, given.hasPrefix("Bearer "), constantTimeEqual(String(given.dropFirst(7)), key) else {
                throw APIError(status: .unauthorized, message: given == nil
                               ? "Missing bearer key: send 'Authorization: Bearer <key>'."
                               : "Incorrect bearer key.", type: "authentication_error",
                               code: given == nil ? "missing_api_key" : "invalid_api_key")
            }
        }
        return try await next(request, context)
    }
}

/// Whether two strings are equal, in time that depends only on their lengths.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}
