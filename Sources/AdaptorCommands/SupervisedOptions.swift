import ArgumentParser
import Matryoshka

/// Stage-2 and Search-Adaptor flags (defaults in `SupervisedConfiguration`).
struct SupervisedOptions: ParsableArguments {
    /// Where the flags' defaults come from.
    static let defaults = SupervisedConfiguration()

    @Option(help: "Weight γ of the ranking loss in stage 2.")
    var gamma: Float = Self.defaults.gamma

    @Option(help: "Reduction of the unsupervised terms in stage 2 (the ranking loss is a mean over triples).")
    var stage2Reduction: Reduction = Self.defaults.stage2Reduction

    @Option(help: "Training queries per stage-2 batch.")
    var queryBatchSize: Int = Self.defaults.queryBatchSize

    @Option(help: "Corpus anchors per stage-2 batch for the unsupervised terms.")
    var documentAnchors: Int = Self.defaults.documentAnchors

    @Option(help: "Random corpus documents added to each batch's ranking candidates.")
    var randomNegatives: Int = Self.defaults.randomNegatives

    @Option(help: "Hard negatives per query, mined with the original vectors (0 = off).")
    var hardNegatives: Int = Self.defaults.hardNegatives

    @Option(help: "Stage-2 (and Search-Adaptor) iteration budget.")
    var stage2Iterations: Int = Self.defaults.iterations

    @Option(help: "Stage-2 patience: iterations without a better held-out nDCG@10.")
    var stage2Patience: Int = Self.defaults.patience

    @Option(help: "Iterations between stage-2 validations on the held-out training queries.")
    var stage2ValidationInterval: Int = Self.defaults.validationInterval

    @Option(help: "Stage-2 Adam learning rate.")
    var stage2LearningRate: Float = Self.defaults.learningRate

    @Option(help: "Search-Adaptor: weight of the L1 recovery term.")
    var recoveryWeight: Float = Self.defaults.searchAdaptorRecovery

    @Option(help: "Search-Adaptor: weight of the L1 prediction term.")
    var predictionWeight: Float = Self.defaults.searchAdaptorPrediction

    /// Writes these flags into `options` (``FitOptions/validate()`` checks them).
    func apply(to options: inout FitOptions) {
        options.gamma = gamma
        options.stage2Reduction = stage2Reduction
        options.queryBatchSize = queryBatchSize
        options.documentAnchors = documentAnchors
        options.randomNegatives = randomNegatives
        options.hardNegatives = hardNegatives
        options.stage2Iterations = stage2Iterations
        options.stage2Patience = stage2Patience
        options.stage2ValidationInterval = stage2ValidationInterval
        options.stage2LearningRate = stage2LearningRate
        options.recoveryWeight = recoveryWeight
        options.predictionWeight = predictionWeight
    }
}

/// Query vectors from other files than the data set's own (asymmetric encoders: queries and documents
/// embedded by different models of one space, such as text and image towers).
public struct QueryOverrideOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Query vectors to use instead of the data set's (same dimension as the corpus).",
                               valueName: "Q.npy"))
    var queryVectors: String?

    @Option(help: ArgumentHelp("Ids of --query-vectors, one per line (or BEIR queries.jsonl).", valueName: "FILE"))
    var queryIds: String?

    public init() {}

    /// The files these flags name, for ``refuseOutputsOverwritingInputs(outputs:inputs:)``.
    var inputFiles: [(option: String, path: String?)] {
        [("--query-vectors", queryVectors), ("--query-ids", queryIds)]
    }

    public func validate() throws {
        guard (queryVectors == nil) == (queryIds == nil) else {
            throw ValidationError("--query-vectors and --query-ids go together")
        }
    }

    /// `dataset` with its queries replaced when the flags are given.
    public func apply(to dataset: Dataset) throws -> Dataset {
        guard let queries = try loadQueries(dimension: dataset.corpus.dimension, corpusPath: dataset.corpus.vectorsPath) else {
            return dataset
        }
        var copy = dataset
        copy.queries = queries
        return copy
    }

    /// The given queries (nil without the flags); they must have the corpus's dimension when one is given.
    public func loadQueries(dimension: Int?, corpusPath: String = "the corpus") throws -> EmbeddingSet? {
        guard let queryVectors, let queryIds else { return nil }
        let queries = try EmbeddingSet.load(vectors: queryVectors, ids: queryIds)
        if let dimension, queries.dimension != dimension {
            throw EmbeddingIOError.dimensionMismatch(path: queryVectors, dimension: queries.dimension,
                                                     expectedPath: corpusPath, expected: dimension)
        }
        return queries
    }
}
