import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Matryoshka
import NIOCore
import PostgresNIO
import ServiceLifecycle
import VectorDatabase

/// Runs the server until SIGTERM or SIGINT (requests in flight finish): logs to standard error, builds the
/// application from `configuration` and runs it with its services.
public func runServer(_ configuration: ServerConfiguration) async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    let app = try await buildApplication(configuration)
    try await app.runService()
    lifecycleLogger.info("stopped")
}

/// Start, address and stop are logged whatever the log level (scripts wait for the address).
let lifecycleLogger: Logger = {
    var logger = Logger(label: "matryoshka.serve")
    logger.logLevel = .info
    return logger
}()

/// The server as Hummingbird runs it: the transform prepared, the search corpus embedded (or the table's layout
/// checked), the upstream's HTTP client and the database pool added as services, and the router.
///
/// - Parameters:
///   - configuration: what to serve, where and how.
///   - onServerRunning: called with the bound port once the server listens (port 0 picks a free one).
/// - Throws: the model's, the corpus's and the database's errors, before anything listens.
public func buildApplication(_ configuration: ServerConfiguration,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    -> some ApplicationProtocol
{
    var logger = Logger(label: "matryoshka.serve")
    logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
    let corpus = try Parallelism.$threads.withValue(configuration.threads) {
        try OpenedCorpus(configuration, logger: logger)
    }
    let prepared = try configuration.method.prepare(dimension: corpus?.dimension ?? configuration.dimension,
                                                    dataName: corpus?.name, corpus: corpus?.vectors)
    var services: [any Service] = []
    let embedder = Embedder(prepared.transform)
    var backend: (any SearchBackend)?
    if let corpus {
        backend = try Parallelism.$threads.withValue(configuration.threads) {
            try corpus.memorySearch(prepared, configuration: configuration, logger: logger)
        }
    } else if case let .postgres(url, table, efSearch, probes) = configuration.corpus {
        let search = try await PostgresSearch.open(url: url, table: table, prepared: prepared, efSearch: efSearch,
                                                   probes: probes, logger: logger)
        services.append(search.client)
        backend = search
    }
    var upstream: OpenAIUpstream?
    if let settings = configuration.upstream {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        services.append(HTTPClientService(client: client))
        upstream = OpenAIUpstream(baseURL: settings.baseURL, model: settings.model, apiKey: settings.apiKey,
                                  timeout: .milliseconds(Int64(settings.timeout * 1000)), client: client)
    }
    let metrics = ServerMetrics()
    let state = APIState(embedder: embedder, upstream: upstream, modelName: configuration.modelName,
                         maxBodyBytes: configuration.maxBodyBytes, maxInputs: configuration.maxInputs, metrics: metrics,
                         logger: logger)
    let router = buildRouter(state: state, backend: backend, apiKey: configuration.apiKey)
    let host = configuration.host
    let facts: Logger.Metadata = [
        "dimension": "\(embedder.outputDimension)", "model": "\(configuration.method)",
        "upstream": "\(upstream?.baseURL ?? "none")", "corpus_documents": "\(backend?.documentCount ?? 0)",
        "table": "\(backend?.tableName ?? "none")",
    ]
    var app = Application(router: router, configuration: .init(address: .hostname(host, port: configuration.port),
                                                               serverName: "matryoshka"),
                          onServerRunning: { channel in
                              let port = channel.localAddress?.port ?? 0
                              lifecycleLogger.info("listening on http://\(host):\(port)", metadata: facts)
                              await onServerRunning(port)
                          },
                          logger: logger)
    app.addServices(services)
    return app
}

/// The router: request logging and metrics around everything, `/health`, `/metrics`, `/openapi.yaml`, and the
/// `/v1` routes behind the bearer key.
func buildRouter(state: APIState, backend: (any SearchBackend)?, apiKey: String?) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: RequestLogAndMetrics(metrics: state.metrics, logger: state.logger))
    router.get("/health") { _, _ in
        HealthResponse(model: state.modelName, dimension: state.embedder.outputDimension, upstream: state.upstream != nil,
                       corpusDocuments: backend?.documentCount ?? 0, table: backend?.tableName)
    }
    router.get("/metrics") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: state.metrics.registry.emitToBuffer())))
    }
    router.get("/openapi.yaml") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: openAPIDocument)))
    }
    let api = router.group("v1").add(middleware: BearerKeyMiddleware(key: apiKey))
    api.addRoutes(EmbeddingsController(state: state).endpoints)
    api.addRoutes(SearchController(state: state, backend: backend).endpoints)
    return router
}
