import AdaptorNN
import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import VectorDatabase
import VectorSearch

/// `matryoshka search`: exact top-k retrieval at a reduced dimension, written as a TREC run.
@available(macOS 10.15, *)
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
        returns at most ef_search rows.

        Examples:
          matryoshka search --data data/scifact --adaptor u.safetensors --dimension 64 --output run.tsv
          matryoshka search --corpus big.npy --query-vectors q.npy --query-ids q.txt --adaptor u.safetensors \\
              --dimension 64
          matryoshka search --data data/scifact --adaptor u.safetensors --postgres "$URL" --table scifact_64 \\
              --shortlist-size 100 --output run.tsv
        """
    )

    @OptionGroup var corpusOptions: CorpusOptions
    @OptionGroup(title: "Queries from other files") var queryOverride: QueryOverrideOptions

    @Option(help: ArgumentHelp("A model written by fit (default: the raw vectors, i.e. truncation).", valueName: "MODEL"))
    var adaptor: String?

    @Option(help: ArgumentHelp("Prefix size m (default: the full dimension).", valueName: "m"))
    var dimension: Int?

    @Option(help: "Documents per query.")
    var k: Int = 10

    @Option(help: "The run name written in the last column.")
    var runName: String = "matryoshka"

    @Option(help: ArgumentHelp("Write the run here (atomically) instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: ArgumentHelp(
        "Adaptive retrieval: take each query's top K on the first m' coordinates, re-ranked at --dimension (keeps the "
            + "N × m index and its N × m' prefixes).", valueName: "m'"))
    var shortlistDimension: Int?

    @Option(help: ArgumentHelp(
        "Shortlist length K (default 100 with --shortlist-dimension; with --postgres it alone asks for the funnel).",
        valueName: "K"))
    var shortlistSize: Int?

    @OptionGroup(title: "Search in PostgreSQL + pgvector") var database: PostgresOptions

    @Option(help: ArgumentHelp("With --postgres: hnsw.ef_search (pgvector's default 40).", valueName: "N"))
    var efSearch: Int?

    @Option(help: ArgumentHelp("With --postgres: ivfflat.probes (pgvector's default 1).", valueName: "N"))
    var probes: Int?

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if database.postgres == nil {
            try corpusOptions.requireCorpus()
            if efSearch != nil || probes != nil { throw ValidationError("--ef-search and --probes go with --postgres") }
        } else if corpusOptions.corpus != nil {
            throw ValidationError("With --postgres the corpus is the table: give queries with --data DIR or --query-vectors")
        } else if corpusOptions.data == nil, queryOverride.queryVectors == nil {
            throw ValidationError("--postgres needs queries: --data DIR or --query-vectors Q.npy --query-ids FILE")
        }
        if let efSearch, efSearch < 1 { throw ValidationError("--ef-search must be positive") }
        if let probes, probes < 1 { throw ValidationError("--probes must be positive") }
        guard k >= 1 else { throw ValidationError("--k must be positive, got \(k)") }
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        if corpusOptions.corpus != nil, queryOverride.queryVectors == nil {
            throw ValidationError("--corpus needs the queries: --query-vectors Q.npy --query-ids FILE")
        }
    }

    func run() async throws {
        let text: String
        if let target = try database.target() {
            text = try await postgresRunText(url: target.url, table: target.table)
        } else {
            text = try threadOptions.run(runText)
        }
        if let output {
            try writeTextFileAtomically(text, to: output)
        } else {
            print(text, terminator: "")
        }
    }

    /// The run file's text.
    func runText() throws -> String {
        let (corpus, corpusIds) = try corpusOptions.openCorpus(ids: true)
        let queries = try loadQueries(dimension: corpus.dimension)
        let transform: any EmbeddingTransform
        if let adaptor {
            let model = try AdaptorModel.load(adaptor)
            try model.checkInputDimension(corpus.dimension, of: corpus.path, modelPath: adaptor)
            transform = model
        } else {
            transform = IdentityTransform(dimension: corpus.dimension)
        }
        let m = dimension ?? transform.outputDimension
        guard m <= transform.outputDimension else {
            throw ValidationError("--dimension \(m) exceeds the output dimension \(transform.outputDimension)")
        }
        if let shortlistDimension {
            guard (1 ... m).contains(shortlistDimension) else {
                throw ValidationError("--shortlist-dimension must be in 1...\(m) (the re-ranking size)")
            }
            guard (shortlistSize ?? 100) >= k else { throw ValidationError("--shortlist-size must be at least --k (\(k))") }
        }
        let kept = transform.prefixTransform(m)
        let needed = corpus.rowCount * (m + (shortlistDimension ?? 0)) * 4
        if let available = availableMemoryBytes(), needed > available {
            throw EmbeddingIOError.tooLargeForMemory(path: corpus.path, rows: corpus.rowCount, columns: m, needed: needed,
                                                     available: available)
        }
        let display = ProgressDisplay(quiet: quiet)
        var start = ContinuousClock.now
        let index = try FlatIndex(source: corpus, transform: kept) { done, total in
            display.update(rateLine("indexing at m = \(m)", done: done, total: total, unit: "documents", since: start))
        }
        let funnel = shortlistDimension.map { TwoTierIndex(full: index, shortlistDimension: $0, shortlistSize: shortlistSize ?? 100) }
        let adapted = kept.apply(queries.vectors)
        var lines: [String] = []
        let blockSize = 1024
        start = ContinuousClock.now
        for first in stride(from: 0, to: adapted.rows, by: blockSize) {
            let rows = first ..< min(first + blockSize, adapted.rows)
            let block = adapted.gatherRows(rows)
            let results = funnel?.search(block, k: k) ?? index.search(block, k: k)
            for (q, query) in rows.enumerated() {
                for (rank, (document, score)) in zip(results.neighbours(of: q), results.neighbourScores(of: q)).enumerated() {
                    lines.append("\(queries.ids[query]) Q0 \(corpusIds[document]) \(rank + 1) \(score) \(runName)")
                }
            }
            display.update(rateLine("searched", done: rows.upperBound, total: adapted.rows, unit: "queries", since: start))
        }
        display.finish()
        return lines.map { $0 + "\n" }.joined()
    }

    /// The run from PostgreSQL: each query adapted as the table's rows were, searched by the database.
    func postgresRunText(url: PostgresURL, table: TableName) async throws -> String {
        let queries = try loadQueries(dimension: nil)
        let connected = try await VectorDatabase.connect(url)
        do {
            let layout = try await connected.layout(of: table)
            if let dimension, dimension != layout.dimension {
                throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                    "stores \(layout.dimension)-d prefixes; --dimension \(dimension) cannot search it (leave it out).")
            }
            if shortlistDimension != nil {
                throw ValidationError("With --postgres the shortlist is the stored prefix: give --shortlist-size K only")
            }
            let form = try StoredForm(adaptor: adaptor, inputDimension: queries.dimension, inputPath: queries.vectorsPath,
                                      dimension: layout.dimension, storeFull: layout.fullDimension != nil, type: layout.type)
            if let problem = layout.mismatch(with: form.layout) {
                throw VectorDatabaseError.layoutMismatch(table: table.description, problem: problem)
            }
            let size = shortlistSize
            if let size { guard size >= k else { throw ValidationError("--shortlist-size must be at least --k (\(k))") } }
            let search = VectorTableSearch(table: table, layout: layout)
            for statement in VectorTableSearch.settings(efSearch: efSearch, probes: probes, shortlistSize: size) {
                try await connected.run(statement, "setting the index's search parameters")
            }
            let (prefixes, full) = form.apply(queries.vectors)
            let display = ProgressDisplay(quiet: quiet)
            let start = ContinuousClock.now
            var lines: [String] = []
            for q in 0 ..< queries.count {
                let hits = try await search.search(on: connected.connection, logger: connected.logger,
                                                   prefix: prefixes.storage[q * prefixes.columns ..< (q + 1) * prefixes.columns],
                                                   full: full.map { $0.storage[q * $0.columns ..< (q + 1) * $0.columns] },
                                                   k: k, shortlistSize: size)
                for (rank, hit) in hits.enumerated() {
                    lines.append("\(queries.ids[q]) Q0 \(hit.id) \(rank + 1) \(hit.score) \(runName)")
                }
                display.update(rateLine("searched in \(table)", done: q + 1, total: queries.count, unit: "queries", since: start))
            }
            display.finish()
            await connected.close()
            return lines.map { $0 + "\n" }.joined()
        } catch {
            await connected.close()
            throw error
        }
    }

    /// `--query-vectors`, or the data set's queries (checked against `dimension` when given).
    func loadQueries(dimension: Int?) throws -> EmbeddingSet {
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
