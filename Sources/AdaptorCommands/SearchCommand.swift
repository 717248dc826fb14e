import ArgumentParser
import Matryoshka

/// `matryoshka search`: exact top-k retrieval at a reduced dimension, written as a TREC run.
///
/// The same command runs in both executables: `matryoshka` searches in memory and hands a `--postgres` search to
/// matryoshka-services, which sets ``postgresSearch`` before parsing.
public struct SearchCommand: AsyncParsableCommand {
    /// The search in PostgreSQL, where this process can run it (set once by matryoshka-services before parsing).
    nonisolated(unsafe) public static var postgresSearch: (@Sendable (SearchCommand) async throws -> String)?

    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Rank the corpus for every query at dimension m (exact cosine) and write a TREC run file.",
        discussion: """
        Queries and documents go through the adaptor when one is given (its stored coordinate order \
        included), are cut to their first m coordinates and re-normalised, and the whole corpus is searched \
        exactly. The corpus is read in blocks and only its m-coordinate vectors are kept (N × m floats: 256 MB \
        for a million documents at m = 64), so the original vectors never have to fit in memory. Each output \
        line is `query-id Q0 doc-id rank score run-name`, as trec_eval reads it; with --corpus the document ids \
        are the row numbers.

        With --postgres URL --table T the search runs in PostgreSQL on a table made by matryoshka load: the \
        queries are adapted as its rows were (same model, checked by fingerprint; same m), and each is one \
        ORDER BY embedding <#> q LIMIT k statement, served by the table's HNSW or IVFFlat index when it has one \
        (--ef-search, --probes). With --shortlist-size K the top K by the prefix are re-ranked by the stored full \
        vectors (load --full) in the same statement; hnsw.ef_search is raised to K when lower, since an HNSW scan \
        returns at most ef_search rows. A --postgres search is run by matryoshka-services (built with \
        swift build -c release --product matryoshka-services), which matryoshka starts for it.

        With --precision P the corpus is held as codes of its size-m embedding instead (as evaluate --precision \
        scores them: float16, int8, int4, int2 or binary, calibrated by fit and stored in the model; N × bytes per \
        vector in memory), queries are scored against them (--scoring asymmetric or hamming), and --rescore K \
        re-orders each query's best K by the codes with the full vectors (kept in memory here, N × D floats, \
        standing in for the copy a deployment keeps on disk).

        Examples:
          matryoshka search --data data/scifact --adaptor u.safetensors --dimension 64 --output run.tsv
          matryoshka search --data data/scifact --adaptor u.safetensors --dimension 256 --precision binary \
              --rescore 100 --output run.tsv
          matryoshka search --corpus big.npy --query-vectors q.npy --query-ids q.txt --adaptor u.safetensors \\
              --dimension 64
          matryoshka search --data data/scifact --adaptor u.safetensors --postgres "$URL" --table scifact_64 \\
              --shortlist-size 100 --output run.tsv
        """
    )

    @OptionGroup public var corpusOptions: CorpusOptions
    @OptionGroup(title: "Queries from other files") public var queryOverride: QueryOverrideOptions

    @Option(help: ArgumentHelp("A model written by fit (default: the raw vectors, i.e. truncation).", valueName: "MODEL"))
    public var adaptor: String?

    @Option(help: ArgumentHelp("Prefix size m (default: the full dimension).", valueName: "m"))
    public var dimension: Int?

    @Option(help: "Documents per query.")
    public var k: Int = 10

    @Option(help: "The run name written in the last column.")
    public var runName: String = "matryoshka"

    @Option(help: ArgumentHelp("Write the run here (atomically) instead of standard output.", valueName: "FILE"))
    public var output: String?

    @Option(help: ArgumentHelp(
        "Adaptive retrieval: take each query's top K on the first m' coordinates, re-ranked at --dimension (keeps the "
            + "N × m index and its N × m' prefixes).", valueName: "m'"))
    public var shortlistDimension: Int?

    @Option(help: ArgumentHelp(
        "Shortlist length K (default 100 with --shortlist-dimension; with --postgres it alone asks for the funnel).",
        valueName: "K"))
    public var shortlistSize: Int?

    @Option(help: ArgumentHelp("Hold the corpus as codes of the size-m embedding: float16, int8, int4, int2 or binary.",
                               valueName: "P"))
    public var precision: Precision?

    @Option(help: "With --precision binary: asymmetric (the float query against ±1) or hamming (codes on both sides).")
    public var scoring: CodeScoring = .asymmetric

    @Option(help: ArgumentHelp(
        "With --precision: search these codes (apply --precision P --dimension m wrote them, same model and corpus) "
            + "instead of encoding the corpus.",
        discussion: "The file must hold one row per corpus row in the precision's type and width; its first 64 rows are "
            + "checked against this model's codes of the corpus, so codes of another model, size or precision are "
            + "refused. With --rescore the full vectors are still embedded from the corpus.", valueName: "CODES.npy"))
    public var codes: String?

    @Option(help: ArgumentHelp("With --precision: re-score each query's best K by the codes with the full vectors.",
                               valueName: "K"))
    public var rescore: Int?

    @OptionGroup(title: "Search in PostgreSQL + pgvector") public var database: PostgresOptions

    @Option(help: ArgumentHelp("With --postgres: hnsw.ef_search (pgvector's default 40).", valueName: "N"))
    public var efSearch: Int?

    @Option(help: ArgumentHelp("With --postgres: ivfflat.probes (pgvector's default 1).", valueName: "N"))
    public var probes: Int?

    @OptionGroup public var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    public var quiet = false

    public func validate() throws {
        if database.postgres == nil {
            try corpusOptions.requireCorpus()
            if efSearch != nil || probes != nil { throw ValidationError("--ef-search and --probes go with --postgres") }
        } else if corpusOptions.corpus != nil {
            throw ValidationError("With --postgres the corpus is the table: give queries with --data DIR or --query-vectors")
        } else if corpusOptions.data == nil, queryOverride.queryVectors == nil {
            throw ValidationError("--postgres needs queries: --data DIR or --query-vectors Q.npy --query-ids FILE")
        } else if shortlistDimension != nil {
            throw ValidationError("With --postgres the shortlist is the stored prefix: give --shortlist-size K only")
        }
        if let efSearch, efSearch < 1 { throw ValidationError("--ef-search must be positive") }
        if let probes, probes < 1 { throw ValidationError("--probes must be positive") }
        guard k >= 1 else { throw ValidationError("--k must be positive, got \(k)") }
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        if precision == nil, rescore != nil || scoring != .asymmetric { throw ValidationError("--rescore and --scoring go with --precision") }
        if precision != nil, database.postgres != nil || shortlistDimension != nil {
            throw ValidationError("--precision searches codes in memory: leave out --postgres and --shortlist-dimension (--rescore K re-scores)")
        }
        if scoring == .hamming, precision != .binary { throw ValidationError("--scoring hamming needs --precision binary") }
        if codes != nil, precision == nil || precision == .float32 || dimension == nil {
            throw ValidationError("--codes searches stored codes: give their --precision (not float32) and --dimension m")
        }
        if let rescore, rescore < k { throw ValidationError("--rescore must be at least --k (\(k)), got \(rescore)") }
        if corpusOptions.corpus != nil, queryOverride.queryVectors == nil {
            throw ValidationError("--corpus needs the queries: --query-vectors Q.npy --query-ids FILE")
        }
        if shortlistDimension != nil || database.postgres != nil, let shortlistSize, shortlistSize < k {
            throw ValidationError("--shortlist-size must be at least --k (\(k))")
        }
    }

    public func run() async throws {
        try refuseOutputsOverwritingInputs(outputs: [("--output", output)],
                                           inputs: [("--adaptor", adaptor), ("--codes", codes)] + queryOverride.inputFiles + corpusOptions.inputFiles())
        let text: String
        if database.postgres != nil {
            guard let postgresSearch = Self.postgresSearch else { try Services.run(CommandLine.arguments) }
            text = try await postgresSearch(self)
        } else {
            text = try threadOptions.run(runText)
        }
        if let output {
            try writeTextFileAtomically(text, to: output)
        } else {
            print(text, terminator: "")
        }
    }

    /// The run file's text: the corpus embedded once at m (and its m' tier for the funnel), then every query.
    func runText() throws -> String {
        let (corpus, corpusIds) = try corpusOptions.openCorpus(ids: true)
        let queries = try loadQueries(dimension: corpus.dimension)
        let prepared = try EmbeddingMethod(modelPath: adaptor).prepare(dimension: corpus.dimension, corpus: corpus)
        let pipeline = try flagged("--dimension") { try prepared.pipeline(dimension: dimension) }
        let funnel = try shortlistDimension.map { m in
            guard (1 ... pipeline.dimension).contains(m) else {
                throw ValidationError("--shortlist-dimension must be in 1...\(pipeline.dimension) (the re-ranking size)")
            }
            let size = shortlistSize ?? 100
            guard size >= k else { throw ValidationError("--shortlist-size must be at least --k (\(k))") }
            return (dimension: m, size: size)
        }
        let display = ProgressDisplay(quiet: quiet)
        var start = ContinuousClock.now
        if let precision {
            let calibration = try prepared.calibration(for: [precision], corpus: corpus, modelName: adaptor ?? "truncation")
            let index: EmbeddingCodeIndex
            if let codes {
                index = try EmbeddingCodeIndex(stored: try NpyCodes(path: codes), name: codes, corpus: corpus, pipeline: pipeline,
                                               precision: precision, calibration: calibration, scoring: scoring, rescore: rescore)
            } else {
                index = try EmbeddingCodeIndex(corpus: corpus, pipeline: pipeline, precision: precision, calibration: calibration,
                                               scoring: scoring, rescore: rescore) { done, total in
                    display.update(rateLine("encoding at m = \(pipeline.dimension)", done: done, total: total, unit: "documents", since: start))
                }
            }
            let results: SearchResults
            do { results = try index.search(queries.vectors, k: k) } catch {
                throw SourcePipelineError(source: queries.sourceName, error: error)
            }
            display.finish()
            return TRECRun.text(results, queryIds: queries.ids, documentIds: corpusIds, run: runName)
        }
        let index = try EmbeddingIndex.open(corpus, pipeline: pipeline, shortlist: funnel) { done, total in
            display.update(rateLine("indexing at m = \(pipeline.dimension)", done: done, total: total, unit: "documents", since: start))
        }
        start = ContinuousClock.now
        let results = index.search(queries.vectors, k: k, blockRows: 1024) { done, total in
            display.update(rateLine("searched", done: done, total: total, unit: "queries", since: start))
        }
        display.finish()
        return TRECRun.text(results, queryIds: queries.ids, documentIds: corpusIds, run: runName)
    }

    /// `--query-vectors`, or the data set's queries (checked against `dimension` when given).
    public func loadQueries(dimension: Int?) throws -> EmbeddingSet {
        if let given = try queryOverride.loadQueries(dimension: dimension) { return given }
        let layout = try corpusOptions.layout()!
        guard let vectors = layout.queryVectors, let ids = layout.queryIds else {
            throw EmbeddingIOError.missingFile(path: "\(layout.directory)/queries.f32.npy",
                                               what: "query vectors, needed for search (or give --query-vectors)")
        }
        let queries = try EmbeddingSet.load(vectors: vectors, ids: ids)
        if let dimension, queries.dimension != dimension {
            throw EmbeddingIOError.dimensionMismatch(path: vectors, dimension: queries.dimension,
                                                     expectedPath: layout.corpusVectors, expected: dimension)
        }
        return queries
    }
}
