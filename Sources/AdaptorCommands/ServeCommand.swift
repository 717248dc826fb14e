import AdaptorNN
import ArgumentParser
import AsyncHTTPClient
import EmbeddingIO
import EmbeddingMath
import EmbeddingServer
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import VectorDatabase
import VectorSearch

/// `matryoshka serve`: the adaptor on the request path, as an OpenAI-compatible embeddings endpoint.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the adaptor over HTTP: OpenAI-compatible /v1/embeddings with `dimensions`, /v1/adapt, /v1/search.",
        discussion: """
        Put it in front of any OpenAI-compatible embedding service: clients call this server exactly as they \
        called the service, and may ask for `dimensions` m ≤ d: the first m adapted coordinates, re-normalised.

        Routes:
          POST /v1/embeddings  {"input": text | [texts], "model", "encoding_format": "float"|"base64", "dimensions"}
                               texts go to --upstream; its vectors come back adapted (usage passed through)
          POST /v1/adapt       {"input": [[floats]] | [base64], "dimensions", "encoding_format"}: vectors in, out
          POST /v1/search      {"input": text | "vector": [floats], "k", "shortlist_dimension", "shortlist_size"}
                               with --data or --corpus: exact shortlist on m coordinates, re-ranked at full size;
                               with --postgres URL --table T: in PostgreSQL on a table made by matryoshka load
                               (its index serves the prefix; shortlist_size re-ranks by its full vectors)
          GET  /health, GET /metrics (Prometheus text)
        Errors are OpenAI's error object: 400 bad request, 401 missing or wrong key (--api-key-env), 413 body \
        too large, 502 upstream failure (with its status), 504 upstream timeout.

        Examples:
          OPENAI_API_KEY=... matryoshka serve --adaptor u.safetensors --port 8080 \\
              --upstream https://api.example.com/v1 --upstream-model text-embedding-3-large
          matryoshka serve --adaptor u.safetensors --data data/scifact --shortlist-dimension 32

        Stops cleanly on SIGTERM or SIGINT (requests in flight finish). Logs go to standard error.
        """
    )

    @Option(help: ArgumentHelp("The model written by fit.", valueName: "MODEL")) var adaptor: String
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; the chosen one is logged).") var port = 8080
    @Option(help: ArgumentHelp("Base URL of an OpenAI-compatible embeddings service (…/v1).", valueName: "URL"))
    var upstream: String?
    @Option(help: ArgumentHelp("The model name sent upstream.", valueName: "NAME")) var upstreamModel: String?
    @Option(help: ArgumentHelp("Environment variable holding the upstream's API key (never logged).", valueName: "VAR"))
    var upstreamKeyEnv = "OPENAI_API_KEY"
    @Option(help: "Seconds allowed for one upstream call (then 504).") var upstreamTimeout: Double = 30
    @Option(help: ArgumentHelp("Environment variable holding this server's own bearer key (unset: no key needed).",
                               valueName: "VAR"))
    var apiKeyEnv: String?
    @Option(help: "The model name reported in responses (default: the adaptor file's name).") var modelName: String?
    @Option(help: "Largest request body in bytes (then 413).") var maxBodyBytes = 16 << 20
    @Option(help: "Most texts or vectors per request.") var maxInputs = 2048

    @Option(help: ArgumentHelp("Search corpus: a data set folder (its corpus vectors and ids).", valueName: "DIR"))
    var data: String?
    @Option(help: ArgumentHelp("With --data: the vectors of DIR/models/NAME.", valueName: "NAME")) var model: String?
    @Option(help: ArgumentHelp("Search corpus: a .npy file (ids: --corpus-ids, else row numbers).", valueName: "X.npy"))
    var corpus: String?
    @Option(help: ArgumentHelp("Ids of --corpus rows, one per line.", valueName: "FILE")) var corpusIds: String?
    @Option(help: ArgumentHelp("Default shortlist prefix m for /v1/search (omit: exact at the full dimension).",
                               valueName: "m"))
    var shortlistDimension: Int?
    @Option(help: ArgumentHelp("Default shortlist length K.", valueName: "K")) var shortlistSize = 100
    @OptionGroup(title: "Search in PostgreSQL + pgvector") var database: PostgresOptions
    @Option(help: ArgumentHelp("With --postgres: hnsw.ef_search for every search.", valueName: "N")) var efSearch: Int?
    @Option(help: ArgumentHelp("With --postgres: ivfflat.probes for every search.", valueName: "N")) var probes: Int?
    @Option(help: "Log level: trace, debug, info (one line per request), notice, warning, error, critical.")
    var logLevel = "info"
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard [data, corpus, database.postgres].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("Give at most one search corpus: --data, --corpus or --postgres")
        }
        if database.postgres != nil, shortlistDimension != nil {
            throw ValidationError("With --postgres the table's m is the shortlist; leave out --shortlist-dimension")
        }
        if (efSearch != nil || probes != nil), database.postgres == nil { throw ValidationError("--ef-search and --probes go with --postgres") }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
        if corpusIds != nil, corpus == nil { throw ValidationError("--corpus-ids needs --corpus") }
        if upstream != nil, upstreamModel == nil { throw ValidationError("--upstream needs --upstream-model NAME") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard upstreamTimeout > 0 else { throw ValidationError("--upstream-timeout must be positive") }
        guard maxBodyBytes > 0, maxInputs > 0 else { throw ValidationError("--max-body-bytes and --max-inputs must be positive") }
        guard shortlistSize >= 1 else { throw ValidationError("--shortlist-size must be positive") }
        if let apiKeyEnv, ProcessInfo.processInfo.environment[apiKeyEnv]?.isEmpty ?? true {
            throw ValidationError("--api-key-env \(apiKeyEnv): that environment variable is not set")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let logger = { var logger = Logger(label: "matryoshka.serve"); logger.logLevel = level; return logger }()
        // Start, address and stop are logged whatever --log-level says (scripts wait for the address).
        let lifecycle = { var logger = Logger(label: "matryoshka.serve"); logger.logLevel = .info; return logger }()
        let model = try AdaptorModel.load(adaptor)
        if let shortlistDimension, !(1 ... model.outputDimension).contains(shortlistDimension) {
            throw ValidationError("--shortlist-dimension must be in 1...\(model.outputDimension)")
        }
        let searchCorpus = try Parallelism.$threads.withValue(threadOptions.threads) { try loadCorpus(model, logger) }
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.modelName = modelName ?? URL(fileURLWithPath: adaptor).deletingPathExtension().lastPathComponent
        settings.maxBodyBytes = maxBodyBytes
        settings.maxInputs = maxInputs
        settings.apiKey = apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        settings.shortlistDimension = shortlistDimension
        settings.shortlistSize = shortlistSize
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let embedder = upstream.map {
            OpenAIUpstream(baseURL: $0, model: upstreamModel!, apiKey: ProcessInfo.processInfo.environment[upstreamKeyEnv],
                           timeout: .milliseconds(Int64(upstreamTimeout * 1000)), client: client)
        }
        let databaseSearch = try await openTable(model, logger)
        let server = EmbeddingServer(settings: settings, adaptor: AdaptedVectors(model: model), upstream: embedder,
                                     corpus: searchCorpus, database: databaseSearch, logger: logger)
        let (host, modelDimension) = (self.host, model.outputDimension)
        let app = server.application { channel in
            lifecycle.info("listening on http://\(host):\(channel.localAddress?.port ?? 0)",
                        metadata: ["dimension": "\(modelDimension)", "upstream": "\(embedder?.baseURL ?? "none")",
                                   "corpus_documents": "\(searchCorpus?.ids.count ?? 0)",
                                   "table": "\(databaseSearch?.search.table.description ?? "none")"])
        }
        do {
            if let databaseSearch {
                // The pool runs beside the application; both stop on SIGTERM or SIGINT.
                let group = ServiceGroup(configuration: .init(services: [.init(service: app), .init(service: databaseSearch.client)],
                                                              gracefulShutdownSignals: [.sigterm, .sigint], logger: lifecycle))
                try await group.run()
            } else {
                try await app.runService()
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        lifecycle.info("stopped")
    }

    /// The pgvector table for /v1/search, its layout checked against this model (one connection, closed again;
    /// searches then go through a pool).
    func openTable(_ adaptorModel: AdaptorModel, _ logger: Logger) async throws -> DatabaseSearch? {
        guard let (url, table) = try database.target() else { return nil }
        let connected = try await VectorDatabase.connect(url)
        let layout: VectorTableLayout
        do {
            layout = try await connected.layout(of: table)
            await connected.close()
        } catch {
            await connected.close()
            throw error
        }
        let fingerprint = try modelFingerprint(adaptor)
        guard layout.model == fingerprint else {
            throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                "was loaded with another model (\(layout.model)); --adaptor \(adaptor) is \(fingerprint).")
        }
        logger.info("searching in PostgreSQL", metadata: ["table": "\(table)", "at": "\(url)", "dimension": "\(layout.dimension)"])
        return DatabaseSearch(client: PostgresClient(configuration: url.clientConfiguration()),
                              search: VectorTableSearch(table: table, layout: layout), efSearch: efSearch, probes: probes)
    }

    /// The search corpus, adapted once (streamed: only the adapted vectors are kept).
    func loadCorpus(_ adaptorModel: AdaptorModel, _ logger: Logger) throws -> SearchCorpus? {
        let vectors: NpyFile, ids: [String]
        if let corpus {
            vectors = try openVectors(corpus, ids: nil).vectors
            ids = try corpusIds.map { try openVectors(corpus, ids: $0).ids } ?? (0 ..< vectors.rowCount).map(String.init)
        } else if let data {
            let layout = try DatasetLayout(directory: data, model: model)
            (vectors, ids) = try openVectors(layout.corpusVectors, ids: layout.corpusIds)
        } else {
            return nil
        }
        try adaptorModel.checkInputDimension(vectors.dimension, of: vectors.path, modelPath: adaptor)
        let start = ContinuousClock.now
        let index = try FlatIndex(source: vectors, transform: adaptorModel)
        logger.info("adapted the search corpus", metadata: ["documents": "\(ids.count)", "seconds": "\(ContinuousClock.now - start)"])
        return SearchCorpus(ids: ids, full: index)
    }
}
