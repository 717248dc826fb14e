import AdaptorNN
import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import VectorSearch

/// `matryoshka search`: exact top-k retrieval at a reduced dimension, written as a TREC run.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Rank the corpus for every query at dimension m (exact cosine) and write a TREC run file.",
        discussion: """
        Queries and documents go through the adaptor when one is given (its stored coordinate order \
        included), are cut to their first m coordinates and re-normalised, and the whole corpus is searched \
        exactly. Each output line is `query-id Q0 doc-id rank score run-name`, as trec_eval reads it.

        Example:
          matryoshka search --data data/scifact --adaptor u.safetensors --dimension 64 --output run.tsv
        """
    )

    @OptionGroup var dataOptions: DataOptions
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

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be positive, got \(k)") }
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
    }

    func run() throws {
        let text = try runText()
        if let output {
            try writeTextFileAtomically(text, to: output)
        } else {
            print(text, terminator: "")
        }
    }

    /// The run file's text.
    func runText() throws -> String {
        let dataset = try queryOverride.apply(to: try dataOptions.load())
        let queries = try dataset.requireQueries()
        let transform: any EmbeddingTransform
        if let adaptor {
            let model = try AdaptorModel.load(adaptor)
            try model.checkInputDimension(dataset.corpus.dimension, of: dataset.corpus.vectorsPath, modelPath: adaptor)
            transform = model
        } else {
            transform = IdentityTransform(dimension: dataset.corpus.dimension)
        }
        let m = dimension ?? transform.outputDimension
        guard m <= transform.outputDimension else {
            throw ValidationError("--dimension \(m) exceeds the output dimension \(transform.outputDimension)")
        }
        let display = ProgressDisplay(quiet: quiet)
        let index = FlatIndex(vectors: transform.apply(dataset.corpus.vectors), prefix: m)
        let adapted = transform.apply(queries.vectors).prefix(columns: m)
        var lines: [String] = []
        let block = 1024
        let start = ContinuousClock.now
        for first in stride(from: 0, to: adapted.rows, by: block) {
            let rows = first ..< min(first + block, adapted.rows)
            let results = index.search(adapted.gatherRows(rows), k: k)
            for (q, query) in rows.enumerated() {
                for (rank, (document, score)) in zip(results.neighbours(of: q), results.neighbourScores(of: q)).enumerated() {
                    lines.append("\(queries.ids[query]) Q0 \(dataset.corpus.ids[document]) \(rank + 1) \(score) \(runName)")
                }
            }
            display.update(rateLine("searched", done: rows.upperBound, total: adapted.rows, unit: "queries", since: start))
        }
        display.finish()
        return lines.map { $0 + "\n" }.joined()
    }
}
