import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Matryoshka
import NIOCore
import PostgresNIO
import ServiceLifecycle
import VectorDatabase

/// Runs the server until SIGTERM or SIGINT (requests in flight finish, their answers written whole): logs to standard
/// error, builds the application from `configuration` and runs it with its services.
public func runServer(_ configuration: ServerConfiguration) async throws {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    let app = try await buildApplication(configuration)
    do {
        try await app.runService()
    } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES
        || error.errnoCode == EADDRNOTAVAIL
    {
        throw ServerConfigurationError.cannotListen(host: configuration.host, port: configuration.port,
                                                    problem: String(cString: strerror(error.errnoCode)))
    }
    lifecycleLogger.info("stopped")
}

/// Start, address and stop are logged whatever the log level (scripts wait for the address).
let lifecycleLogger: Logger = {
    var logger = Logger(label: "matryoshka.serve")
    logger.logLevel = .info
    return logger
}()

/// The server as Hummingbird runs it: the configuration checked, the transform prepared, the search corpus embedded
/// with its funnel tiers (or the table's layout checked), the upstream's HTTP client and the database pool added as
/// services, the router, and each connection's deadlines and drain (`ConnectionGuard`).
///
/// - Parameters:
///   - configuration: what to serve, where and how.
///   - onServerRunning: called with the bound port once the server listens (port 0 picks a free one).
/// - Throws: ``ServerConfigurationError``, and the model's, the corpus's and the database's errors, before anything
///   listens.
public func buildApplication(_ configuration: ServerConfiguration,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    -> some ApplicationProtocol
{
    try configuration.validate()
    var logger = Logger(label: "matryoshka.serve")
    logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
    let upstreamURL = try configuration.upstream.map { try UpstreamURL($0.baseURL) }
    let corpus = try Parallelism.$threads.withValue(configuration.threads) { try OpenedCorpus(configuration, logger: logger) }
    let prepared = try configuration.method.prepare(dimension: corpus?.dimension ?? configuration.dimension,
                                                    dataName: corpus?.name, corpus: corpus?.vectors)
    var services: [any Service] = []
    var backend: (any SearchBackend)?
    if let corpus {
        backend = try Parallelism.$threads.withValue(configuration.threads) { () throws -> any SearchBackend in
            if let codes = configuration.codes { return try corpus.codeSearch(prepared, settings: codes, logger: logger) }
            return try corpus.memorySearch(prepared, configuration: configuration, logger: logger)
        }
    } else if case let .postgres(url, table, efSearch, probes) = configuration.corpus {
        let search = try await PostgresSearch.open(url: url, table: table, prepared: prepared, efSearch: efSearch,
                                                   probes: probes, timeout: configuration.databaseTimeout, logger: logger)
        services.append(search.client)
        backend = search
    }
    var upstream: OpenAIUpstream?
    if let settings = configuration.upstream, let upstreamURL {
        var clientConfiguration = HTTPClient.Configuration()
        // A refused connection fails at once, not after the request's whole timeout of retries.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        clientConfiguration.timeout.connect = .milliseconds(Int64(min(settings.timeout, 10) * 1000))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        services.append(HTTPClientService(client: client))
        upstream = OpenAIUpstream(base: upstreamURL, model: settings.model, apiKey: settings.apiKey,
                                  timeout: .milliseconds(Int64(settings.timeout * 1000)), client: client,
                                  maxAnswerBytes: settings.maxAnswerBytes, secrets: configuration.apiKey.map { [$0] } ?? [])
    }
    let metrics = ServerMetrics()
    let state = APIState(embedder: Embedder(prepared.transform, cachedSizes: configuration.cachedSizes), upstream: upstream,
                         modelName: configuration.modelName, limits: configuration.limits,
                         work: HeavyWork(concurrency: configuration.concurrency, queueLength: configuration.queueLength),
                         metrics: metrics, logger: logger)
    let router = buildRouter(state: state, backend: backend, apiKey: configuration.apiKey)
    let host = configuration.host
    let connections = configuration.maxConnections ?? ServerConfiguration.defaultMaxConnections()
    let facts: Logger.Metadata = [
        "dimension": "\(state.embedder.outputDimension)", "model": "\(configuration.method)",
        "upstream": "\(upstreamURL?.redacted ?? "none")", "corpus_documents": "\(backend?.documentCount ?? 0)",
        "table": "\(backend?.tableName ?? "none")", "max_connections": "\(connections)",
    ]
    if configuration.apiKey == nil, !ServerConfiguration.isLoopback(host) {
        lifecycleLogger.warning("listening on \(host) without a key: anyone who can reach it can use it (and its upstream's key); set --api-key-env VAR")
    }
    func amount(_ seconds: Double) -> TimeAmount { .milliseconds(Int64(seconds * 1000)) }
    let guardSettings = (idle: amount(configuration.idleTimeout), request: amount(configuration.requestTimeout),
                         drain: amount(configuration.drainTimeout))
    var app = Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(idleTimeout: guardSettings.idle, requestTimeout: guardSettings.request,
                            drainTimeout: guardSettings.drain) { reason in metrics.connectionsClosed(reason).increment() },
        ])),
        configuration: .init(address: .hostname(host, port: configuration.port), serverName: "matryoshka",
                             availableConnectionsDelegate: MaximumAvailableConnections(connections, logger: logger)),
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
