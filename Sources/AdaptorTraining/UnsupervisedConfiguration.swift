import AdaptorNN

/// What early stopping and the choice of kept weights look at.
public enum SelectionSignal: String, Codable, Sendable, CaseIterable {
    /// The training objective on fixed batches of held-out documents (lower is better).
    case objective
    /// Retrieval fidelity: held-out documents retrieving their own full-dimension neighbours at every
    /// size of `M`, mean nDCG@10 (higher is better). See `NeighbourFidelity`.
    case fidelity
}

/// Which similarity-preservation terms the unsupervised objective uses.
public enum SimilarityObjective: String, Codable, Sendable, CaseIterable {
    /// The paper's `L_topk + α L_pair` (L1 on cosine values, Eq. 1-2).
    case paper
    /// Beyond the paper: listwise distillation of each anchor's full-dimension ranking of the batch into every
    /// size (`DistillationLoss`), with the reconstruction term as a mean.
    case distill
}

/// How losses are reduced over a batch.
public enum Reduction: String, Codable, Sendable, CaseIterable {
    /// The paper's literal sums: `Σ_m Σ_{i≠j}`, `Σ_m Σ_{i, j∈NN_k(i)}`, `Σ_i ‖f(x_i)‖₁ / d`.
    case sum
    /// Means over pairs and elements: scale-free across batch sizes.
    case mean
}

/// The settings of unsupervised Matryoshka-Adaptor training (METHOD.md), every open choice a field.
///
/// Objective: `L_topk + α L_pair + β L_rec`, each summed over the sizes `M`.
public struct UnsupervisedConfiguration: Codable, Sendable, Equatable {
    /// Matryoshka sizes `M` (nil: powers of two from 16 below d, then d).
    public var sizes: [Int]?
    /// Reduction of each term over the batch.
    public var reduction: Reduction = .sum
    /// Neighbours per anchor `k` for `L_topk`, mined once over the whole corpus, self excluded.
    public var neighbours = 10
    /// Weight `α` of `L_pair`.
    public var alpha: Float = 1
    /// Weight `β` of `L_rec`.
    public var beta: Float = 1
    /// Anchors per batch (their neighbours join the batch).
    public var batchSize = 128
    /// Adam learning rate.
    public var learningRate: Float = 1e-3
    /// Maximum iterations.
    public var iterations = 5000
    /// Stop when the validation objective has not improved for this many iterations.
    public var patience = 500
    /// Iterations between validation evaluations.
    public var validationInterval = 50
    /// Fraction of the corpus held out for early stopping.
    public var validationFraction = 0.1
    /// At most this many held-out documents serve as validation anchors.
    public var maxValidationAnchors = 1000
    /// The similarity-preservation terms.
    public var objective: SimilarityObjective = .paper
    /// Softmax temperature of the `distill` objective.
    public var distillationTemperature: Float = 0.1
    /// What early stopping watches.
    public var selection: SelectionSignal = .fidelity
    /// Training documents searched by the fidelity signal (a random sample when the corpus is larger).
    public var fidelityPoolSize = 20000
    /// Seed for initialisation, the validation split and batch sampling.
    public var seed: UInt64 = 0
    /// Training anchors drawn from the (not held-out) corpus; nil: ``defaultAnchors`` or every training row.
    public var anchors: Int?
    /// The principal-axes prefix that neighbour mining shortlists on; nil: automatic (exact mining on corpora
    /// where that costs at most ``exactMiningBudget`` FLOP, else ``automaticShortlistDimension(for:)``); `d`: exact.
    public var miningDimension: Int?
    /// Shortlist length per anchor when mining on a prefix.
    public var miningShortlist = 100

    /// Anchors when ``anchors`` is nil (fewer when the corpus has fewer training rows).
    public static let defaultAnchors = 20_000
    /// Exact mining is automatic up to this many floating-point operations (`2 Q N d`): about ten seconds of one
    /// core's `sgemm`.
    public static let exactMiningBudget = 2e12

    /// The defaults of METHOD.md.
    public init() {}

    /// The automatic shortlist prefix for `d`-dimensional vectors: `max(128, d/8)`, a multiple of 16.
    public static func automaticShortlistDimension(for d: Int) -> Int {
        max(128, (d / 8 + 15) / 16 * 16)
    }

    /// The prefix neighbour mining shortlists on, or nil for exact mining, for `queries` anchors and held-out
    /// rows over `corpusRows` documents of dimension `d`.
    public func shortlistDimension(corpusRows: Int, queries: Int, dimension d: Int) -> Int? {
        if let miningDimension { return miningDimension >= d ? nil : miningDimension }
        let exactCost = 2 * Double(queries) * Double(corpusRows) * Double(d)
        let automatic = Self.automaticShortlistDimension(for: d)
        return exactCost <= Self.exactMiningBudget || automatic >= d ? nil : automatic
    }

    /// The sizes for dimension `d`.
    public func matryoshkaSizes(dimension d: Int) -> MatryoshkaSizes {
        sizes.map { MatryoshkaSizes($0, dimension: d) } ?? .standard(dimension: d)
    }

    enum CodingKeys: String, CodingKey {
        case sizes = "matryoshka_sizes", reduction, neighbours = "k", alpha, beta, batchSize = "batch_size"
        case learningRate = "learning_rate", iterations, patience, validationInterval = "validation_interval"
        case validationFraction = "validation_fraction", maxValidationAnchors = "max_validation_anchors", seed
        case selection, fidelityPoolSize = "fidelity_pool_size", objective
        case distillationTemperature = "distillation_temperature"
        case anchors, miningDimension = "mining_dimension", miningShortlist = "mining_shortlist"
    }
}
