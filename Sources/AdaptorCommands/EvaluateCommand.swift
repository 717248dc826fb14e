import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// `matryoshka evaluate`: nDCG@10, Recall@100 and MRR@10 of one method at a list of dimensions.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score exact cosine retrieval at each Matryoshka size m for one method.",
        discussion: """
        Transforms queries and corpus with the method, cuts both to their first m coordinates, \
        re-normalises, ranks the whole corpus for every judged query, and reports nDCG@10 (as trec_eval \
        ndcg_cut_10), Recall@100 and MRR@10, averaged over judged queries. The table shows values ×100 \
        with the standard error of the nDCG@10 mean across queries; --json prints fractions in [0, 1].

        Examples:
          matryoshka evaluate --data data/scifact --method pca --dims 16,32,64 --json
          matryoshka evaluate --data data/scifact --method adaptor --adaptor u.safetensors
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @Option(help: """
        Method: truncate (first m raw coordinates), pca (principal axes of the normalised, centred corpus) \
        or adaptor / search-adaptor / smec (a model written by fit; give --adaptor).
        """)
    var method: EvaluationMethod = .truncate

    @Option(help: ArgumentHelp("The model for --method adaptor.", valueName: "MODEL"))
    var adaptor: String?

    @Option(help: ArgumentHelp(
        "Comma-separated sizes m (default: powers of two from 16 below d, then d).", valueName: "m,m,..."))
    var dims: String?

    @Option(help: "Which qrels/<split>.tsv to score against.")
    var split: String = "test"

    @Option(help: ArgumentHelp("Score only the judged queries whose ids are listed in this file (one per line).",
                               valueName: "FILE"))
    var querySubset: String?

    @OptionGroup(title: "Queries from other files") var queryOverride: QueryOverrideOptions

    @Flag(help: "Print one JSON object (results: dimension, ndcg@10, recall@100, mrr@10) instead of a table.")
    var json = false

    @Flag(help: "With --json: add each judged query's metrics (per_query) to every result, for paired tests.")
    var perQuery = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if adaptor != nil, !method.needsModel { throw ValidationError("--adaptor is used only with --method adaptor, search-adaptor or smec") }
        if method.needsModel, adaptor == nil { throw ValidationError("--method \(method.rawValue) needs --adaptor MODEL") }
    }

    func run() throws {
        print(try output())
    }

    /// The table or JSON this command prints (warnings go to standard error).
    func output() throws -> String {
        let dataset = try queryOverride.apply(to: try dataOptions.load())
        let queries = try dataset.requireQueries()
        var qrels = try dataset.qrels(split: split)
        if let querySubset {
            let keep = Set(try readIdList(querySubset))
            qrels = Qrels(path: qrels.path, judgements: qrels.judgements.filter { keep.contains($0.key) },
                          queryOrder: qrels.queryOrder.filter(keep.contains))
        }
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: queries.ids, corpusIds: dataset.corpus.ids)
        if let warning = resolved.warning(qrelsPath: qrels.path) { printError(warning) }
        guard !resolved.queries.isEmpty else {
            throw ValidationError("\(qrels.path): no judged query is in \(queries.idsPath); nothing to evaluate")
        }
        let transform = try method.transform(for: dataset, modelPath: adaptor)
        let dimensions = try dims.map { try parseDimensions($0) } ?? RetrievalEvaluator.defaultDimensions(for: transform.outputDimension)
        if let bad = dimensions.first(where: { $0 > transform.outputDimension }) {
            throw ValidationError("--dims: \(bad) exceeds the \(method.rawValue) output dimension \(transform.outputDimension)")
        }
        let evaluator = RetrievalEvaluator(judgements: resolved.queries)
        let display = ProgressDisplay(quiet: quiet)
        let start = ContinuousClock.now
        let results = evaluator.evaluate(queries: transform.apply(queries.vectors),
                                         corpus: transform.apply(dataset.corpus.vectors), dimensions: dimensions) { done, total in
            display.update(rateLine("evaluated", done: done, total: total, unit: "sizes", since: start))
        }
        display.finish()
        let report = EvaluationReport(
            data: dataset.name, directory: dataset.directory, split: split, method: method.rawValue,
            judgedQueries: resolved.queries.count, documents: dataset.corpus.count,
            inputDimension: dataset.corpus.dimension,
            results: results.map { ComparisonReport.Row($0, queryIds: perQuery ? resolved.queries.map { queries.ids[$0.queryIndex] } : nil) }
        )
        return json ? try report.jsonString() : report.table()
    }
}

/// Writes a line to standard error (logs and warnings; results go to standard output).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
