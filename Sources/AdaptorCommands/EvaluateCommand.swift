import ArgumentParser
import Foundation
import Matryoshka

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

        Bytes, not dimensions (--precision): each size is also scored as codes (float16; int8 and int4 linear on \
        each coordinate's corpus range; int2, four Lloyd-Max levels around each coordinate's median and spread; \
        binary, the sign after subtracting each coordinate's median; all calibrated on the corpus and stored in the \
        model by fit). Float queries are scored against the decoded codes by cosine (asymmetric), or binary codes \
        against binary codes by Hamming distance (--scoring hamming); --rescore K re-scores each query's best K by \
        the codes with the full float vectors. Each row gives its bytes per vector in memory, points another point \
        beats on both bytes and nDCG@10 are marked dominated, and --keep P names the fewest bytes keeping P % of the \
        full vectors' nDCG@10. JSON rows add precision, bytes_per_vector and dominated; the object adds \
        full_ndcg@10 and fewest_bytes.

        Examples:
          matryoshka evaluate --data data/scifact --method pca --dims 16,32,64 --json
          matryoshka evaluate --data data/scifact --method adaptor --adaptor u.safetensors
          matryoshka evaluate --corpus vectors.npy --method adaptor --adaptor u.safetensors --json
          matryoshka evaluate --data data/scifact --method adaptor --adaptor u.safetensors \
              --precision all --rescore 100 --keep 99
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

    @Option(help: ArgumentHelp("""
        Score codes instead of float vectors: a comma-separated list of float32, float16, int8, int4, int2 and \
        binary, or all; one row per size and precision, with its bytes per vector. Judged metrics only; int8 and \
        below need a model fitted with this version (truncation and PCA are calibrated on the corpus here).
        """, valueName: "P,P,..."))
    var precision: String?

    @Option(help: "How queries meet binary codes: asymmetric (the float query's centred coordinates against ±1) or hamming (binary codes on both sides).")
    var scoring: CodeScoring = .asymmetric

    @Option(help: ArgumentHelp("With --precision: re-score each query's best K by the codes with the full float vectors.",
                               valueName: "K"))
    var rescore: Int?

    @Option(help: ArgumentHelp("""
        With --precision: name the fewest bytes per vector keeping at least this percentage of the full vectors' \
        nDCG@10 (an error when no point does).
        """, valueName: "PERCENT"))
    var keep: Double?

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
        if let precision { _ = try parsePrecisions(precision) }
        if precision == nil, rescore != nil || scoring != .asymmetric { throw ValidationError("--rescore and --scoring go with --precision") }
        if let keep, precision == nil || !(keep > 0 && keep <= 100) {
            throw ValidationError("--keep goes with --precision and is a percentage in (0, 100], got \(keep)")
        }
        if let rescore, rescore < 1 { throw ValidationError("--rescore must be positive, got \(rescore)") }
        if precision != nil, shortlistDimension != nil {
            throw ValidationError("--precision re-scores its own shortlist (--rescore K); leave out --shortlist-dimension")
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
        var evaluation: Evaluation
        if let layout = try corpusOptions.layout() {
            if layout.qrelsPath(split: split ?? "test") != nil || split != nil || querySubset != nil {
                let dataset = try queryOverride.apply(to: try layout.load())
                let judged = try JudgedEvaluation(dataset: dataset, split: split ?? "test",
                                                  subset: try querySubset.map { Set(try readIdList($0)) })
                if let warning = judged.warning { printError(warning) }
                evaluation = Evaluation(judged: judged)
            } else {
                display.message("\(layout.directory) has no qrels/test.tsv: neighbour-recall@10 only (no judgements)")
                evaluation = Evaluation(corpus: try layout.openCorpus().vectors, name: layout.name, directory: layout.directory)
            }
        } else {
            let corpus = try corpusOptions.openCorpus(ids: false).vectors
            evaluation = Evaluation(corpus: corpus, name: corpus.path)
            evaluation.neighbourQueries = try queryOverride.loadQueries(dimension: corpus.dimension)?.vectors
        }
        evaluation.sizes = try dims.map { try parseDimensions($0) }
        evaluation.neighbourSample = neighbourSample
        evaluation.funnel = shortlistDimension.map { ($0, shortlistSize) }
        evaluation.reference = reference
        evaluation.perQuery = perQuery
        evaluation.precisions = try precision.map(parsePrecisions)
        evaluation.scoring = scoring
        evaluation.rescore = rescore
        evaluation.keep = keep.map { $0 / 100 }
        let report: EvaluationReport
        do {
            report = try evaluation.run(method: try method.embeddingMethod(model: adaptor), methodName: method.rawValue,
                                        log: display.message, status: { display.update($0) })
        } catch let error as EvaluationError {
            throw ValidationError("\(error)")
        }
        display.finish()
        return json ? try report.jsonString() : report.table()
    }
}

extension NeighbourReference: ExpressibleByArgument {}
extension CodeScoring: ExpressibleByArgument {}

/// Parses `int8,binary` (or `all`) into precisions, finest first.
func parsePrecisions(_ text: String) throws -> [Precision] {
    if text.trimmingCharacters(in: .whitespaces) == "all" { return Precision.allCases }
    let parsed = try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
        guard let precision = Precision(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("--precision expects a list of \(Precision.allCases.map(\.rawValue).joined(separator: ", ")) "
                                  + "or all; got '\(part)'")
        }
        return precision
    }
    return Array(Set(parsed)).sorted()
}
