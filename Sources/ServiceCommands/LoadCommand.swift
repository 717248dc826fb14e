import AdaptorCommands
import Foundation
import ArgumentParser
import Matryoshka
import VectorDatabase

extension VectorType: ExpressibleByArgument {}
extension IfExists: ExpressibleByArgument {}
extension VectorIndexKind: ExpressibleByArgument {}

/// `matryoshka load`: adapted vectors into a PostgreSQL table with pgvector, by binary COPY.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Adapt vectors and bulk-load them into PostgreSQL + pgvector (binary COPY), with an optional index.",
        discussion: """
        Makes (or appends to) the table (id text PRIMARY KEY, embedding vector(m) [, full vector(D)]): each row's \
        adapted vector cut to its first m coordinates and re-normalised, and with --full the whole adapted vector, \
        normalised, for re-ranking. The input is read and adapted in blocks and sent with COPY … FROM STDIN in \
        PostgreSQL's binary format. The table's comment records the model's SHA-256 and m, so that a later load \
        or search with another model, size or type is refused.

        Transactions: by default the whole load is one transaction, so a failure at any row leaves the table as it \
        was. --commit-every R commits about every R rows instead (bounded transactions); a failed load then keeps \
        its first rows and says so, and the same command with --if-exists append --resume continues after them.

        --index hnsw or ivfflat builds an inner-product index (vector_ip_ops / halfvec_ip_ops) on the prefix \
        column after the rows are in (ivfflat: lists = rows / 1000). Search with matryoshka search --postgres.

        Examples:
          matryoshka load --adaptor u.safetensors --data data/scifact --dimension 64 \\
              --postgres postgres://me@localhost/db --table scifact_64 --index hnsw
          matryoshka load --adaptor u.safetensors --input big.npy --ids big_ids.txt --dimension 64 --full \\
              --type halfvec --postgres "$URL" --table docs --if-exists replace --commit-every 100000
        """
    )

    @Option(help: ArgumentHelp("The model written by fit (default: the raw vectors, i.e. truncation).", valueName: "MODEL"))
    var adaptor: String?
    @Option(help: ArgumentHelp("Vectors to load (.npy, n × d).", valueName: "X.npy")) var input: String?
    @Option(help: ArgumentHelp("Ids for --input, one per line (default: the row numbers).", valueName: "FILE")) var ids: String?
    @Option(help: ArgumentHelp("A data set folder: loads its corpus (corpus.f32.npy with corpus_ids.txt).", valueName: "DIR"))
    var data: String?
    @Option(help: ArgumentHelp("With --data: the vectors of DIR/models/NAME.", valueName: "NAME")) var model: String?
    @Option(help: ArgumentHelp("Prefix size m stored in 'embedding' (default: the full dimension).", valueName: "m"))
    var dimension: Int?
    @OptionGroup var database: PostgresOptions
    @Option(help: ArgumentHelp("Column type: vector (float32), halfvec (float16: half the storage again) or bit (binary codes).",
                               discussion: """
                               bit stores the model's binary code of each row in a bit(m) column (the sign after each \
                               coordinate's centre from the model's calibration, a 32nd of vector's storage), ranked by \
                               Hamming distance (an --index uses bit_hamming_ops); with --full the full vectors are a \
                               vector(D) column, and search --shortlist-size K re-ranks the codes' best K by them in one \
                               statement. Needs --adaptor with a model fit stored a calibration in.
                               """)) var type: VectorType = .vector
    @Flag(help: "Also store the full adapted vector in column 'full', for re-ranking (search --shortlist-size).")
    var full = false
    @Option(help: "Index on the prefix: none, hnsw or ivfflat (inner product).") var index: VectorIndexKind = .none
    @Option(name: .customLong("if-exists"), help: "When the table exists: fail, replace (in the load's transaction) or append.")
    var ifExists: IfExists = .fail
    @Flag(help: "With --if-exists replace: drop the table even if no load made it (its comment records no layout).")
    var force = false
    @Option(help: ArgumentHelp("Commit about every R rows (default: one transaction for the whole load).", valueName: "R"))
    var commitEvery: Int?
    @Flag(help: "With --if-exists append: skip the input rows a failed --commit-every load already committed.")
    var resume = false
    @Option(help: "Rows adapted and sent per COPY block.") var blockRows: Int = 8192
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        guard (input == nil) != (data == nil) else { throw ValidationError("Give exactly one of --input X.npy or --data DIR") }
        if ids != nil, input == nil { throw ValidationError("--ids goes with --input") }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        guard database.postgres != nil, database.table != nil else { throw ValidationError("load needs --postgres URL and --table T") }
        if let commitEvery, commitEvery < 1 { throw ValidationError("--commit-every must be positive") }
        if force, ifExists != .replace { throw ValidationError("--force goes with --if-exists replace") }
        if resume, ifExists != .append { throw ValidationError("--resume continues a table: use it with --if-exists append") }
        guard blockRows >= 1 else { throw ValidationError("--block-rows must be positive") }
    }

    func run() async throws {
        try await Parallelism.$threads.withValue(threadOptions.threads) { try await load() }
    }

    func load() async throws {
        guard let postgres = database.postgres, let table = database.table else { return }
        let (url, tableName) = (try PostgresURL(postgres), try TableName(table))
        let (file, rowIds): (NpyFile, [String])
        if let input {
            let opened = try openVectors(input, ids: ids)
            (file, rowIds) = (opened.vectors, ids == nil ? (0 ..< opened.vectors.rowCount).map(String.init) : opened.ids)
        } else {
            let layout = try DatasetLayout(directory: data!, model: model)
            (file, rowIds) = try openVectors(layout.corpusVectors, ids: layout.corpusIds)
        }
        let prepared = try EmbeddingMethod(modelPath: adaptor).prepare(dimension: file.dimension, dataName: file.path)
        let form = try flagged("--dimension") {
            try StoredEmbedding(transform: prepared.transform, fingerprint: prepared.fingerprint, dimension: dimension,
                                storeFull: full, type: type, calibration: prepared.model?.calibration)
        }
        let display = ProgressDisplay(quiet: quiet)
        display.message("loading \(file.rowCount) rows into \(tableName) at \(url) (\(type.rawValue)(\(form.layout.dimension))"
            + (full ? " + full \(type.fullType.rawValue)(\(form.layout.fullDimension!))" : "") + ")")
        let connected = try await VectorDatabase.connect(url, timeout: database.timeout)
        let loader = VectorLoader(table: tableName, ifExists: ifExists, index: index, commitEvery: commitEvery, blockRows: blockRows,
                                  force: force)
        let start = ContinuousClock.now
        let report: LoadReport
        do {
            report = try await loader.load(file, ids: rowIds, as: form, into: connected, resume: resume) { done, total in
                display.update(rateLine("loaded", done: done, total: total, unit: "rows", since: start))
            }
        } catch {
            await connected.close()
            display.finish()
            throw error
        }
        await connected.close()
        if report.resumedAfter > 0 { display.message("resumed after the \(report.resumedAfter) rows already in \(tableName)") }
        display.message("loaded \(report.rows) rows into \(tableName) in \(String(format: "%.1f", report.seconds)) s "
            + "(\(Int(Double(report.rows - report.resumedAfter) / max(report.seconds, 1e-9))) rows/s)"
            + (index == .none ? "" : " with a \(index.rawValue) index"))
    }
}
