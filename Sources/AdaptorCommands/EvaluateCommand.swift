import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// `matryoshka evaluate`: judged metrics (nDCG@10, Recall@100, MRR@10) and the label-free neighbour-recall@10 of
/// one method at a list of dimensions.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score exact cosine retrieval at each Matryoshka size m for one method, with or without judgements.",
        discussion: """
        Transforms queries and corpus with the method, cuts both to their first m coordinates and re-normalises.

        With judgements (--data DIR with qrels/<split>.tsv): ranks the whole corpus for every judged query and \
        reports nDCG@10 (as trec_eval ndcg_cut_10), Recall@100 and MRR@10, averaged over judged queries.

        Without judgements, and beside them: neighbour-recall@10, the share of each query's exact top 10 under the \
        original full vectors (among the other documents) that its top 10 at size m recovers, over a seeded sample \
        of corpus documents as queries (--neighbour-sample, or --query-vectors); --reference centred or auto ranks \
        that reference on the centred vectors instead. It needs only vectors, so it works \
        on any corpus: --corpus X.npy (or a --data folder without qrels) is read in blocks, one pass for every size, \
        in memory proportional to a block. The judged metrics hold the corpus in memory.

        The table shows values ×100 with the standard error of the mean across queries; --json prints fractions in \
        [0, 1]: results[] with dimension, ndcg@10, recall@100, mrr@10 (when judged) and neighbour-recall@10.

        Examples:
          matryoshka evaluate --data data/scifact --method pca --dims 16,32,64 --json
          matryoshka evaluate --data data/scifact --method adaptor --adaptor u.safetensors
          matryoshka evaluate --corpus vectors.npy --method adaptor --adaptor u.safetensors --json
        """
    )

    @OptionGroup var corpusOptions: CorpusOptions

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

    @Option(help: ArgumentHelp("Which qrels/<split>.tsv to score against (default: test, when the folder has it).",
                               valueName: "SPLIT"))
    var split: String?

    @Option(help: ArgumentHelp("Score only the judged queries whose ids are listed in this file (one per line).",
                               valueName: "FILE"))
    var querySubset: String?

    @Option(help: ArgumentHelp("Corpus documents sampled as queries for neighbour-recall@10 (0: skip it).",
                               valueName: "N"))
    var neighbourSample: Int = NeighbourRecallEvaluator().sampleSize

    @Option(help: ArgumentHelp(
        "Adaptive retrieval: rank each judged query's top K on the first m' coordinates, re-ranked at each size of "
            + "--dims (default: the full size). Judged metrics only.", valueName: "m'"))
    var shortlistDimension: Int?

    @Option(help: ArgumentHelp("Shortlist length K with --shortlist-dimension.", valueName: "K"))
    var shortlistSize = 100

    @Option(help: ArgumentHelp("""
        The geometry of neighbour-recall@10's full-dimension reference: original (cosine on the vectors as given), \
        centred (the corpus mean of the normalised vectors removed first: the geometry PCA and a centring adaptor \
        retrieve in) or auto (centred when the corpus's mean cosine between documents is at least \
        \(CentringSignal.threshold), the rule of fit --center auto).
        """, valueName: "GEOMETRY"))
    var reference: NeighbourReference = .original

    @OptionGroup(title: "Queries from other files") var queryOverride: QueryOverrideOptions

    @Flag(help: "Print one JSON object (results: dimension, ndcg@10, recall@100, mrr@10, neighbour-recall@10) instead of a table.")
    var json = false

    @Flag(help: "With --json: add each judged query's metrics (per_query) to every result, for paired tests.")
    var perQuery = false

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        try corpusOptions.requireCorpus()
        if adaptor != nil, !method.needsModel { throw ValidationError("--adaptor is used only with --method adaptor, search-adaptor or smec") }
        if method.needsModel, adaptor == nil { throw ValidationError("--method \(method.rawValue) needs --adaptor MODEL") }
        guard neighbourSample >= 0 else { throw ValidationError("--neighbour-sample must be 0 or more, got \(neighbourSample)") }
        if let shortlistDimension, shortlistDimension < 1 || shortlistSize < 1 {
            throw ValidationError("--shortlist-dimension and --shortlist-size must be positive")
        }
        if corpusOptions.corpus != nil, split != nil || querySubset != nil {
            throw ValidationError("--split and --query-subset need judgements: give --data DIR")
        }
    }

    func run() throws {
        print(try threadOptions.run(output))
    }

    /// The table or JSON this command prints (warnings go to standard error).
    func output() throws -> String {
        let display = ProgressDisplay(quiet: quiet)
        var judged: JudgedEvaluation?
        let corpus: RowSource
        var name = corpusOptions.corpus ?? "", directory = "", documents = 0
        if let layout = try corpusOptions.layout() {
            name = layout.name
            directory = layout.directory
            if layout.qrelsPath(split: split ?? "test") != nil || split != nil || querySubset != nil {
                let dataset = try queryOverride.apply(to: try layout.load())
                judged = try JudgedEvaluation(dataset: dataset, split: split ?? "test", subset: querySubset)
                corpus = dataset.corpus
            } else {
                display.message("\(layout.directory) has no qrels/test.tsv: neighbour-recall@10 only (no judgements)")
                corpus = try layout.openCorpus().vectors
            }
        } else {
            corpus = try corpusOptions.openCorpus(ids: false).vectors
        }
        documents = corpus.rowCount
        if judged == nil, neighbourSample == 0 {
            throw ValidationError("nothing to evaluate: there are no judgements and --neighbour-sample is 0")
        }
        let start = ContinuousClock.now
        let transform = try method.transform(corpus: corpus, modelPath: adaptor) { done, total in
            display.update(rateLine("fitting PCA", done: done, total: total, unit: "rows", since: start))
        }
        let dimensions = try dims.map { try parseDimensions($0) }
            ?? (shortlistDimension != nil ? [transform.outputDimension] : RetrievalEvaluator.defaultDimensions(for: transform.outputDimension))
        if let bad = dimensions.first(where: { $0 > transform.outputDimension }) {
            throw ValidationError("--dims: \(bad) exceeds the \(method.rawValue) output dimension \(transform.outputDimension)")
        }
        if let shortlistDimension {
            guard judged != nil else { throw ValidationError("--shortlist-dimension needs judgements (--data DIR with qrels)") }
            if let bad = dimensions.first(where: { $0 < shortlistDimension }) {
                throw ValidationError("--dims: \(bad) is below --shortlist-dimension \(shortlistDimension); the funnel re-ranks at a larger size")
            }
        }
        let judgedRows = try judged.map { evaluation in
            try evaluation.rows(transform: transform, dimensions: dimensions, perQuery: perQuery, display: display,
                                funnel: shortlistDimension.map { ($0, shortlistSize) })
        }
        var recall: [NeighbourRecallResult]?
        var neighbourQueries = 0
        var referenceGeometry: (name: String, meanCosine: Double?) = ("original", nil)
        if neighbourSample > 0, shortlistDimension == nil {
            var evaluator = NeighbourRecallEvaluator()
            evaluator.sampleSize = neighbourSample
            if reference != .original {
                let mean = try NeighbourRecallEvaluator.normalisedMean(of: corpus)
                let signal = CentringSignal(normalisedMean: mean, count: corpus.rowCount)
                let centred = reference == .centred || signal.centre
                if centred { evaluator.referenceCentre = mean }
                referenceGeometry = (centred ? "centred" : "original", signal.meanCosine)
                display.message("neighbour-recall@10 reference: \(referenceGeometry.name) geometry "
                                + String(format: "(mean cosine between corpus documents %.3f)", signal.meanCosine))
            }
            let external = corpusOptions.corpus != nil ? try queryOverride.loadQueries(dimension: corpus.dimension) : nil
            let started = ContinuousClock.now
            recall = try evaluator.evaluate(corpus: corpus, transform: transform, dimensions: dimensions,
                                            queries: external?.vectors) { done, total in
                display.update(rateLine("neighbour-recall@10", done: done, total: total, unit: "rows", since: started))
            }
            neighbourQueries = recall?.first?.perQuery.count ?? 0
        }
        display.finish()
        let report = EvaluationReport(
            data: name, directory: directory, split: judged?.split, method: method.rawValue,
            judgedQueries: judged?.queries.count, neighbourQueries: neighbourQueries, documents: documents,
            inputDimension: corpus.dimension, shortlistDimension: shortlistDimension,
            shortlistSize: shortlistDimension.map { _ in shortlistSize },
            neighbourReference: recall == nil ? nil : referenceGeometry.name, meanCosine: referenceGeometry.meanCosine,
            results: dimensions.indices.map { EvaluationReport.Row(judged: judgedRows?[$0], neighbourRecall: recall?[$0]) })
        return json ? try report.jsonString() : report.table()
    }
}

/// The judged half of `evaluate`: a data set in memory and its resolved judgements.
struct JudgedEvaluation {
    let dataset: Dataset
    let split: String
    let queries: [JudgedQuery]
    let queryIds: [String]

    init(dataset: Dataset, split: String, subset: String?) throws {
        let queryVectors = try dataset.requireQueries()
        var qrels = try dataset.qrels(split: split)
        if let subset {
            let keep = Set(try readIdList(subset))
            qrels = Qrels(path: qrels.path, judgements: qrels.judgements.filter { keep.contains($0.key) },
                          queryOrder: qrels.queryOrder.filter(keep.contains))
        }
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: queryVectors.ids, corpusIds: dataset.corpus.ids)
        if let warning = resolved.warning(qrelsPath: qrels.path) { printError(warning) }
        guard !resolved.queries.isEmpty else {
            throw ValidationError("\(qrels.path): no judged query is in \(queryVectors.idsPath); nothing to evaluate")
        }
        self.dataset = dataset
        self.split = split
        queries = resolved.queries
        queryIds = resolved.queries.map { queryVectors.ids[$0.queryIndex] }
    }

    /// nDCG@10, Recall@100 and MRR@10 of `transform` at each size.
    func rows(transform: EmbeddingTransform, dimensions: [Int], perQuery: Bool,
              display: ProgressDisplay, funnel: (dimension: Int, size: Int)? = nil) throws -> [ComparisonReport.Row] {
        let start = ContinuousClock.now
        let evaluator = RetrievalEvaluator(judgements: queries)
        let queryVectors = transform.apply(try dataset.requireQueries().vectors)
        let corpusVectors = transform.apply(dataset.corpus.vectors)
        let results = funnel.map {
            evaluator.evaluateFunnel(queries: queryVectors, corpus: corpusVectors, dimensions: dimensions,
                                     shortlistDimension: $0.dimension, shortlistSize: $0.size)
        } ?? evaluator.evaluate(queries: queryVectors, corpus: corpusVectors, dimensions: dimensions) { done, total in
            display.update(rateLine("evaluated", done: done, total: total, unit: "sizes", since: start))
        }
        return results.map { ComparisonReport.Row($0, queryIds: perQuery ? queryIds : nil) }
    }
}

/// Writes a line to standard error (logs and warnings; results go to standard output).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The geometry of neighbour-recall@10's reference (`evaluate --reference`).
enum NeighbourReference: String, ExpressibleByArgument, CaseIterable {
    case original, centred, auto
}
