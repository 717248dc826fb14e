import AdaptorNN

/// Settings of supervised training (METHOD.md, two stages) and of the Search-Adaptor baseline.
public struct SupervisedConfiguration: Codable, Sendable, Equatable {
    /// Stage 1 (unsupervised) settings; its `k`, `α`, `β` and `M` also define stage 2's unsupervised terms.
    public var stage1 = UnsupervisedConfiguration.paperDefaults
    /// Weight `γ` of `L_rank`.
    public var gamma: Float = 1
    /// Reduction of the unsupervised terms in stage 2. `L_rank` is a mean over triples (Eq. 5), so literal
    /// sums of the other terms (thousands of pairs) would drown it; means keep all four terms O(1).
    public var stage2Reduction: Reduction = .mean
    /// Training queries per stage-2 batch.
    public var queryBatchSize = 64
    /// Corpus anchors per stage-2 batch for the unsupervised terms (the batch's queries are anchors too).
    public var documentAnchors = 64
    /// Random corpus documents added to every batch's candidates (negatives unless judged).
    public var randomNegatives = 64
    /// Hard negatives per query: its most similar unjudged documents under the original vectors (0 = off).
    public var hardNegatives = 0
    /// Stage-2 iteration budget.
    public var iterations = 3000
    /// Stage-2 patience (iterations without a better held-out nDCG@10).
    public var patience = 500
    /// Iterations between stage-2 validations.
    public var validationInterval = 50
    /// Stage-2 Adam learning rate.
    public var learningRate: Float = 1e-3
    /// Fraction of the training queries held out for early stopping.
    public var validationFraction = 0.1
    /// Which qrels split trained the model (recorded in the model file).
    public var trainSplit = "train"
    /// Weight of Search-Adaptor's L1 recovery term (mean over elements).
    public var searchAdaptorRecovery: Float = 1
    /// Weight of Search-Adaptor's L1 prediction term (mean over elements).
    public var searchAdaptorPrediction: Float = 1
    /// Seed for the query split and stage-2 sampling (stage 1 has its own).
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case stage1 = "stage1", gamma, stage2Reduction = "stage2_reduction", queryBatchSize = "query_batch_size"
        case documentAnchors = "document_anchors", randomNegatives = "random_negatives", hardNegatives = "hard_negatives"
        case iterations, patience, validationInterval = "validation_interval", learningRate = "learning_rate"
        case validationFraction = "validation_fraction", trainSplit = "train_split"
        case searchAdaptorRecovery = "search_adaptor_recovery", searchAdaptorPrediction = "search_adaptor_prediction", seed
    }
}
