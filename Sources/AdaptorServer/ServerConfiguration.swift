import Matryoshka

/// Everything `matryoshka serve` is told: where to listen, what to serve, the limits, the upstream and the search
/// corpus. ``buildApplication(_:onServerRunning:)`` makes the running server from it.
public struct ServerConfiguration: Sendable {
    /// Bind address.
    public var host = "127.0.0.1"
    /// Port (0: any free port, reported through `onServerRunning`).
    public var port = 8080
    /// How embeddings are made: a model written by `fit`, or truncation of the raw vectors.
    public var method = EmbeddingMethod.truncation
    /// The vectors' dimension `d` when serving truncation without a corpus to read it from.
    public var dimension: Int?
    /// The model name reported in responses.
    public var modelName = "matryoshka"
    /// Largest request body accepted (bytes); larger ones get 413.
    public var maxBodyBytes = 16 << 20
    /// Most inputs (texts or vectors) in one request.
    public var maxInputs = 2048
    /// When set, every `/v1/` request must carry `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// The OpenAI-compatible embedding service that `/v1/embeddings` sends texts to, if any.
    public var upstream: UpstreamConfiguration?
    /// The corpus `/v1/search` searches, if any.
    public var corpus: CorpusSource?
    /// Default shortlist size `m'` for in-memory `/v1/search` (nil: exact search at the full size unless asked).
    public var shortlistDimension: Int?
    /// Shortlist sizes `m'` whose funnel tiers (`N × m'` floats each) are built at start; a request may ask only these
    /// (and the default).
    public var shortlistDimensions: [Int] = []
    /// Default shortlist length `K`.
    public var shortlistSize = 100
    /// When set, the in-memory corpus is held as codes of its size-`m` embedding and `/v1/search` scores them
    /// (``CodeSearch``) instead of the float vectors.
    public var codes: CodeSearchSettings?
    /// Most numbers in an embeddings answer (inputs × `dimensions`).
    public var maxResponseValues = 1 << 21
    /// Most search results in an answer (queries × `k`).
    public var maxResults = 100_000
    /// Most floating-point operations one in-memory search may take.
    public var maxRequestFLOP = 2e11
    /// Heavy jobs (parsing a body, embedding, searching, writing an answer) run at once, each on one thread of its own
    /// (default: the cores this process may use).
    public var concurrency = Parallelism.availableCores
    /// Heavy requests allowed to wait for their turn (then 503).
    public var queueLength = 64
    /// Sizes whose pipelines are kept (least recently used dropped first).
    public var cachedSizes = 16
    /// Open connections at most (nil: the process's file limit less a reserve, at most 1,024); more wait in the
    /// kernel's queue.
    public var maxConnections: Int?
    /// Seconds a connection may sit without a request under way (before its first request, between requests).
    public var idleTimeout: Double = 30
    /// Seconds from a request's head to the end of its body.
    public var requestTimeout: Double = 30
    /// Seconds a shutdown waits for a response still being written.
    public var drainTimeout: Double = 30
    /// Log level: trace, debug, info (one line per request), notice, warning, error or critical.
    public var logLevel = "info"
    /// With a PostgreSQL corpus: the longest a search may wait for a connection or for one statement, in seconds
    /// (then 504 `database_timeout`; nil: no limit).
    public var databaseTimeout: Double? = 10
    /// Worker threads for embedding the corpus at start (each request's heavy job runs on one thread; see
    /// ``concurrency``).
    public var threads = Parallelism.availableCores

    /// The defaults: truncation on loopback port 8080, no upstream, no corpus.
    public init() {}
}

/// An OpenAI-compatible embeddings endpoint: `POST {baseURL}/embeddings`.
public struct UpstreamConfiguration: Sendable {
    /// The base URL, e.g. `http://127.0.0.1:9000/v1`.
    public var baseURL: String
    /// The model name sent upstream.
    public var model: String
    /// Its API key (sent in `Authorization` only; never logged).
    public var apiKey: String?
    /// Seconds allowed for one call (then 504).
    public var timeout: Double
    /// The largest answer read (bytes; then 502).
    public var maxAnswerBytes = 256 << 20

    /// An upstream from its parts.
    public init(baseURL: String, model: String, apiKey: String?, timeout: Double = 30) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
    }
}

/// What `/v1/search` searches.
public enum CorpusSource: Sendable, Equatable {
    /// A data set folder's corpus (its vectors and ids), embedded into memory at start.
    case dataset(directory: String, model: String?)
    /// A `.npy` of vectors (ids from a file, else row numbers), embedded into memory at start.
    case vectors(path: String, ids: String?)
    /// A pgvector table made by `matryoshka load`, searched in PostgreSQL through a connection pool.
    case postgres(url: String, table: String, efSearch: Int?, probes: Int?)
}

/// How `serve` holds its search corpus as codes (`--precision`).
public struct CodeSearchSettings: Sendable, Equatable {
    /// The codes' size `m` (nil: the transform's whole output).
    public var dimension: Int?
    /// The codes.
    public var precision: Precision
    /// How queries meet binary codes.
    public var scoring: CodeScoring
    /// The default shortlist re-scored by the full vectors (nil: none, and no full vectors are kept).
    public var rescore: Int?

    /// Settings from their parts.
    public init(dimension: Int? = nil, precision: Precision, scoring: CodeScoring = .asymmetric, rescore: Int? = nil) {
        self.dimension = dimension
        self.precision = precision
        self.scoring = scoring
        self.rescore = rescore
    }
}
