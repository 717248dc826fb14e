import AdaptorCommands
import AdaptorServer
import ArgumentParser
import Foundation
import Matryoshka

/// `matryoshka serve`: the embeddings on the request path, as an OpenAI-compatible embeddings endpoint.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the adaptor over HTTP: OpenAI-compatible /v1/embeddings with `dimensions`, /v1/adapt, /v1/search.",
        discussion: """
        Put it in front of any OpenAI-compatible embedding service: clients call this server exactly as they \
        called the service, and may ask for `dimensions` m ≤ d: the first m adapted coordinates, re-normalised. \
        Without --adaptor it serves the raw vectors' prefixes (truncation).

        Routes (described by the OpenAPI document it serves at GET /openapi.yaml):
          POST /v1/embeddings  {"input": text | [texts], "model", "encoding_format": "float"|"base64", "dimensions"}
                               texts go to --upstream; its vectors come back adapted (usage passed through)
          POST /v1/adapt       {"input": [[floats]] | [base64], "dimensions", "encoding_format"}: vectors in, out
          POST /v1/search      {"input": text | "vector": [floats], "k", "shortlist_dimension", "shortlist_size"}
                               with --data or --corpus: exact shortlist on m coordinates, re-ranked at full size;
                               with --postgres URL --table T: in PostgreSQL on a table made by matryoshka load
                               (its index serves the prefix; shortlist_size re-ranks by its full vectors)
          GET  /health, GET /metrics (Prometheus text), GET /openapi.yaml
        Errors are OpenAI's error object: 400 bad request, 401 missing or wrong key (--api-key-env), 413 body \
        too large, 502 upstream failure (with its status), 504 upstream timeout.

        Examples:
          OPENAI_API_KEY=... matryoshka serve --adaptor u.safetensors --port 8080 \\
              --upstream https://api.example.com/v1 --upstream-model text-embedding-3-large
          matryoshka serve --adaptor u.safetensors --data data/scifact --shortlist-dimension 32

        Stops cleanly on SIGTERM or SIGINT (requests in flight finish). Logs go to standard error.
        """
    )

    @Option(help: ArgumentHelp("The model written by fit (default: the raw vectors, i.e. truncation).", valueName: "MODEL"))
    var adaptor: String?
    @Option(help: ArgumentHelp("Without --adaptor or a corpus: the raw vectors' dimension d.", valueName: "d"))
    var inputDimension: Int?
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
    @Option(help: ArgumentHelp("Default shortlist prefix m' for /v1/search (omit: exact at the full dimension).",
                               valueName: "m'"))
    var shortlistDimension: Int?
    @Option(help: ArgumentHelp(
        "Shortlist prefixes m' a /v1/search request may ask for: their funnel tiers (N × m' floats each) are built at "
            + "start, with --shortlist-dimension's (default: that one alone).", valueName: "m',m',..."))
    var shortlistDimensions: String?
    @Option(help: ArgumentHelp("Default shortlist length K.", valueName: "K")) var shortlistSize = 100
    @Option(help: ArgumentHelp(
        "Hold the in-memory search corpus as codes: float16, int8, int4, int2 or binary (as search --precision).",
        discussion: "The corpus keeps only the codes of its size-m embedding (--search-dimension m, default the whole "
            + "output); /v1/search scores them as search --precision does, and with --rescore K re-scores the best K by "
            + "the full vectors (kept for that; a request's shortlist_size sets K).", valueName: "P"))
    var precision: Precision?
    @Option(help: ArgumentHelp("With --precision: the codes' size m.", valueName: "m")) var searchDimension: Int?
    @Option(help: "With --precision: how queries meet binary codes (asymmetric or hamming).")
    var scoring: CodeScoring = .asymmetric
    @Option(help: ArgumentHelp("With --precision: re-score each query's best K by the codes with the full vectors.",
                               valueName: "K"))
    var rescore: Int?

    @Option(help: "Most numbers in one embeddings answer (inputs × dimensions; then 400).")
    var maxResponseValues = 1 << 21
    @Option(help: "Most search results in one answer (queries × k; then 400).") var maxResults = 100_000
    @Option(help: ArgumentHelp("Most work one in-memory search may take, in GFLOP (then 400).", valueName: "G"))
    var maxRequestGflop: Double = 200
    @Option(help: ArgumentHelp(
        "Heavy jobs (parsing, embedding, searching, writing answers) at once, each on a thread of its own (default: the "
            + "cores this process may use; --threads only sets the start-up embedding of the corpus).", valueName: "N"))
    var concurrency: Int?
    @Option(help: "Heavy jobs that may wait for their turn (then 503).") var queueLength = 64
    @Option(help: "Sizes whose pipelines are kept (the least recently used is dropped).") var cachedSizes = 16
    @Option(help: ArgumentHelp(
        "Open connections at most; more wait in the kernel's queue (default: the file limit less 64, at most 1024).",
        valueName: "N"))
    var maxConnections: Int?
    @Option(help: "Seconds a connection may sit with no request under way (then closed).") var idleTimeout: Double = 30
    @Option(help: "Seconds from a request's head to the end of its body (then closed).") var requestTimeout: Double = 30
    @Option(help: "Seconds a shutdown waits for an answer still being written.") var drainTimeout: Double = 30
    @Option(help: "Largest upstream answer read, in MB (then 502).") var upstreamMaxMegabytes = 256
    @OptionGroup(title: "Search in PostgreSQL + pgvector") var database: PostgresOptions
    @Option(help: ArgumentHelp("With --postgres: hnsw.ef_search for every search.", valueName: "N")) var efSearch: Int?
    @Option(help: ArgumentHelp("With --postgres: ivfflat.probes for every search.", valueName: "N")) var probes: Int?
    @Option(help: "Log level: trace, debug, info (one line per request), notice, warning, error, critical.")
    var logLevel = "info"
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(logLevel) else { throw ValidationError("--log-level must be one of \(levels.joined(separator: ", "))") }
        guard [data, corpus, database.postgres].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("Give at most one search corpus: --data, --corpus or --postgres")
        }
        if database.postgres != nil, shortlistDimension != nil {
            throw ValidationError("With --postgres the table's m is the shortlist; leave out --shortlist-dimension")
        }
        if efSearch != nil || probes != nil, database.postgres == nil { throw ValidationError("--ef-search and --probes go with --postgres") }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
        if corpusIds != nil, corpus == nil { throw ValidationError("--corpus-ids needs --corpus") }
        if upstream != nil, upstreamModel == nil { throw ValidationError("--upstream needs --upstream-model NAME") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard upstreamTimeout > 0 else { throw ValidationError("--upstream-timeout must be positive") }
        guard maxBodyBytes > 0, maxInputs > 0 else { throw ValidationError("--max-body-bytes and --max-inputs must be positive") }
        guard shortlistSize >= 1 else { throw ValidationError("--shortlist-size must be positive") }
        if precision == nil, searchDimension != nil || rescore != nil || scoring != .asymmetric {
            throw ValidationError("--search-dimension, --rescore and --scoring go with --precision")
        }
        if let precision {
            guard precision != .float32 else { throw ValidationError("--precision float32 is the default search; give a code precision") }
            guard data != nil || corpus != nil else { throw ValidationError("--precision holds an in-memory corpus as codes: give --data or --corpus") }
            if shortlistDimension != nil || shortlistDimensions != nil {
                throw ValidationError("--precision searches codes (re-scored with --rescore K): leave out --shortlist-dimension(s)")
            }
            if let rescore, rescore < 1 { throw ValidationError("--rescore must be positive, got \(rescore)") }
            if let searchDimension, searchDimension < 1 { throw ValidationError("--search-dimension must be positive") }
        }
        if let inputDimension, inputDimension < 1 { throw ValidationError("--input-dimension must be positive") }
        if adaptor == nil, inputDimension == nil, data == nil, corpus == nil {
            throw ValidationError("Without --adaptor the server serves the raw vectors: give their dimension with "
                                  + "--input-dimension d, or a corpus (--data or --corpus)")
        }
        if let apiKeyEnv, ProcessInfo.processInfo.environment[apiKeyEnv]?.isEmpty ?? true {
            throw ValidationError("--api-key-env \(apiKeyEnv): that environment variable is not set")
        }
        if let upstream {
            do { _ = try UpstreamURL(upstream) } catch { throw ValidationError("--upstream: \(error)") }
        }
        do { try serverConfiguration(shortlistDimensions: try sizes()).validate() } catch { throw ValidationError("\(error)") }
    }

    /// `--shortlist-dimensions`, parsed.
    func sizes() throws -> [Int] {
        try shortlistDimensions.map { try parseDimensions($0, flag: "--shortlist-dimensions") } ?? []
    }

    /// The server these flags describe (`--shortlist-dimensions` parsed by ``sizes()``).
    func serverConfiguration(shortlistDimensions: [Int] = []) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = host
        c.port = port
        c.method = EmbeddingMethod(modelPath: adaptor)
        c.dimension = inputDimension
        c.modelName = modelName ?? adaptor.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "truncation"
        c.maxBodyBytes = maxBodyBytes
        c.maxInputs = maxInputs
        c.apiKey = apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        c.upstream = upstream.map {
            UpstreamConfiguration(baseURL: $0, model: upstreamModel!, apiKey: ProcessInfo.processInfo.environment[upstreamKeyEnv],
                                  timeout: upstreamTimeout)
        }
        if let postgres = database.postgres, let table = database.table {
            c.corpus = .postgres(url: postgres, table: table, efSearch: efSearch, probes: probes)
            c.databaseTimeout = database.timeoutSeconds(default: 10)
        } else if let data {
            c.corpus = .dataset(directory: data, model: model)
        } else if let corpus {
            c.corpus = .vectors(path: corpus, ids: corpusIds)
        }
        c.shortlistDimension = shortlistDimension
        c.shortlistDimensions = shortlistDimensions
        c.shortlistSize = shortlistSize
        c.codes = precision.map { CodeSearchSettings(dimension: searchDimension, precision: $0, scoring: scoring, rescore: rescore) }
        c.maxResponseValues = maxResponseValues
        c.maxResults = maxResults
        c.maxRequestFLOP = maxRequestGflop * 1e9
        c.concurrency = concurrency ?? Parallelism.availableCores
        c.queueLength = queueLength
        c.cachedSizes = cachedSizes
        c.maxConnections = maxConnections
        c.idleTimeout = idleTimeout
        c.requestTimeout = requestTimeout
        c.drainTimeout = drainTimeout
        c.upstream?.maxAnswerBytes = upstreamMaxMegabytes << 20
        c.logLevel = logLevel
        c.threads = threadOptions.threads
        return c
    }

    func run() async throws {
        // A server gives freed memory back after a large request (the batch commands keep it, for speed).
        Allocator.returnFreedMemory()
        do {
            try await runServer(serverConfiguration(shortlistDimensions: try sizes()))
        } catch let error as ServerConfigurationError {
            throw ValidationError("\(error)")
        }
    }
}
