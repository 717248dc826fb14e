import AdaptorNN
import EmbeddingMath

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
    /// Beyond the paper (the default): listwise distillation of each anchor's full-dimension ranking of the batch
    /// into every size (`DistillationLoss`), with the reconstruction term as a mean.
    case distill
}

/// What unsupervised training changes in the adaptor.
public enum AdaptorForm: String, Codable, Sendable, CaseIterable {
    /// The paper's residual MLP `f` on a frozen front map: `x̂ = P x̃ + f(P x̃)`.
    case residual
    /// Only the front map, kept orthogonal (``/AdaptorOptimizers/OrthogonalAdam``), the MLP's output left at zero: `x̂ = R P₀ x̃`
    /// with `R` learned. An isometry: every full-dimension cosine is kept exactly, whatever the training does to
    /// the prefixes.
    case rotation
    /// `rotation` first (its own schedule), then `residual` on the front map it learned: the isometry takes what a
    /// rotation can give the prefixes at no cost to the full size, and the MLP trains from there.
    case rotationThenResidual = "rotation-then-residual"

    /// Whether the front map is trained on the orthogonal group (in the first stage, for the two-stage form).
    public var trainsRotation: Bool { self != .residual }
}

/// How the `distill` objective weighs its sizes.
public enum SizeWeighting: String, Codable, Sendable, CaseIterable {
    /// Every size of `M` weighs 1.
    case uniform
    /// Each size weighs the inverse of the room the front map leaves it, `w_m ∝ 1 / max(1 − F_m, 0.01)` with
    /// `F_m` the held-out fidelity of the untrained adaptor at size `m` (see ``headroomWeights(initialFidelity:floor:)``).
    case headroom
}

/// The `headroom` size weights for the untrained adaptor's held-out fidelity `F_m` at each size (in [0, 1]):
/// `w_m = max_m' h_m' / h_m` with `h_m = max(1 − F_m, floor)`, so the size with the most room weighs 1 and a size the
/// front map already gets right (`F_m ≈ 1`, the full size always) weighs up to `1/floor` (100) times more.
///
/// Why: the KL term of a size the front map nearly solves starts near zero and has almost no gradient, so with
/// equal weights the large sizes are traded for the small ones (`--size-weighting uniform` loses up to 1.7 points
/// at m = 128 on scifact). Weighing each size by the inverse of its headroom makes a relative loss where little
/// can be gained as costly as a relative gain where much can.
public func headroomWeights(initialFidelity: [Double], floor: Double = 0.01) -> [Float] {
    let room = initialFidelity.map { max(1 - $0, floor) }
    let most = room.max() ?? 1
    return room.map { Float(most / $0) }
}

/// The sizes the preservation term guards: those whose untrained held-out fidelity is within `floor` of 1 (the
/// room the `headroom` weights give their largest weight), and always the largest size.
func preservedSizes(_ sizes: [Int], initialFidelity: [Double], floor: Double) -> [Int] {
    zip(sizes, initialFidelity).enumerated()
        .filter { $0.element.1 >= 1 - floor || $0.offset == sizes.count - 1 }.map(\.element.0)
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
    public var iterations = 3000
    /// Stop when the validation signal has not improved for this many iterations. The `headroom` default
    /// needs room: held-out fidelity at the large sizes dips in the first steps and the mean over `M` passes
    /// its start only after a few hundred (cisi: 450; docs/unsupervised-default.md has every set).
    public var patience = 1000
    /// Whether patience counts from the best trained weights, the untrained adaptor excluded (the kept weights are
    /// the best including it). The default's held-out fidelity falls below its start in the first steps and climbs
    /// back for as long as training works (dbpedia-entity-5k: past its start only at iteration 2,150);
    /// counting from the start would stop a climb that is still going. Off with the paper's objective, whose signal
    /// only falls.
    public var patienceFromTrainedWeights = true
    /// With ``patienceFromTrainedWeights``: while no trained weights have beaten the start and the latest validation
    /// is the lowest yet, a stage stops this many iterations after its best trained weights (nil: only
    /// ``patience``). The default's dip lasts 50 to 150 iterations on the shared sets and then climbs; on a corpus
    /// where the signal only falls (the synthetic 10^6 rows of the scale benchmark) the long patience would run
    /// 1,000 iterations that the selection then rejects. The same 300 as the rotation's patience.
    public var patienceWhileFalling: Int? = 300
    /// Iterations between validation evaluations.
    public var validationInterval = 50
    /// Fraction of the corpus held out for early stopping.
    public var validationFraction = 0.1
    /// At most this many held-out documents serve as validation anchors.
    public var maxValidationAnchors = 1000
    /// What training changes: the residual MLP, or an orthogonal front map.
    public var form: AdaptorForm = .rotationThenResidual
    /// The similarity-preservation terms.
    public var objective: SimilarityObjective = .distill
    /// How `distill` weighs the sizes.
    public var sizeWeighting: SizeWeighting = .headroom
    /// The smallest room `h_m` of the `headroom` weights (the largest weight is about `1/floor` times the smallest).
    public var headroomFloor = 0.01
    /// `λ` of the `distill` objective's preservation term (`Preservation`): an L1 loss on the (anchor, neighbour)
    /// cosines at the sizes the untrained adaptor already reproduces. 0 turns it off; larger values keep more of the
    /// large sizes' fidelity and give up gains at the small ones. The default 3 was chosen on the scifact train
    /// queries (docs/unsupervised-default.md).
    public var preserveWeight: Float = 3
    /// Centring of the inputs (``CentringChoice/auto``: decided by ``CentringSignal``); overrides the
    /// architecture's `centering` in unsupervised training.
    public var centring: CentringChoice = .auto
    /// Softmax temperature of the `distill` objective.
    public var distillationTemperature: Float = 0.1
    /// What early stopping watches.
    public var selection: SelectionSignal = .fidelity
    /// Training documents searched by the fidelity signal (a random sample when the corpus is larger). Every
    /// validation adapts the pool and searches it at each size of `M`, so its cost grows with the pool: at
    /// 5,000 rows it is a small share of the 50 iterations between validations even at `d = 768` (at 20,000, on
    /// a large corpus at `d = 768`, a validation took about half as long as those 50 iterations; BENCHMARKS.md).
    /// The shared data sets have fewer training rows than this, so their pools are whole.
    public var fidelityPoolSize = 5000
    /// On a corpus with more training rows than ``fidelityPoolSize``, each of the first ``fidelityScaleQueries``
    /// held-out rows (the fidelity signal's queries there) brings its ``fidelityNeighbourhood`` nearest training
    /// documents of the **whole** corpus into the pool, found exactly in the geometry training compares (centred
    /// when the inputs are). A random sample alone holds a held-out row's top 10 of about `N / poolSize` times its
    /// neighbourhood (at 10^6 rows: its top 2,000), so it misses what a prefix gives up among close neighbours;
    /// with its own nearest documents in the pool, a query's relevant set is its top 10 of the corpus and the
    /// documents ranked just below it compete as they do in a search of the whole corpus. 0: the random sample
    /// alone. Smaller corpora search every training row and are not affected.
    public var fidelityNeighbourhood = 30
    /// Held-out rows that serve as the fidelity signal's queries when ``fidelityNeighbourhood`` applies (each adds
    /// up to ``fidelityNeighbourhood`` rows to the pool that every validation adapts and searches).
    public var fidelityScaleQueries = 250
    /// Seed for initialisation, the validation split and batch sampling.
    public var seed: UInt64 = 0
    /// Training anchors drawn from the (not held-out) corpus; nil: ``defaultAnchors`` or every training row.
    public var anchors: Int?
    /// The principal-axes prefix that neighbour mining shortlists on; nil: automatic (exact mining on corpora
    /// where that costs at most ``exactMiningBudget`` FLOP, else ``automaticShortlistDimension(for:)``); `d`: exact.
    public var miningDimension: Int?
    /// Shortlist length per anchor when mining on a prefix.
    public var miningShortlist = 100

    /// The iteration budget of `--form rotation` (its held-out fidelity levels off within a few hundred iterations).
    public static let rotationIterations = 1500
    /// The patience of `--form rotation`.
    public static let rotationPatience = 300

    /// Anchors when ``anchors`` is nil (fewer when the corpus has fewer training rows).
    public static let defaultAnchors = 20_000
    /// Exact mining is automatic up to this many floating-point operations (`2 Q N d`): about ten seconds of one
    /// core's `sgemm`.
    public static let exactMiningBudget = 2e12

    /// The defaults (METHOD.md's, with the `distill` objective, `headroom` weights and automatic centring of
    /// issue 14; ``paperDefaults`` keeps the paper's objective).
    public init() {}

    /// The paper's objective `L_topk + α L_pair + β L_rec` with equal weights and no centring: stage 1 of the
    /// supervised Matryoshka-Adaptor and SMEC's base.
    public static var paperDefaults: UnsupervisedConfiguration {
        var c = UnsupervisedConfiguration()
        c.objective = .paper
        c.sizeWeighting = .uniform
        c.centring = .off
        c.iterations = 5000
        c.patience = 500
        c.preserveWeight = 0
        c.patienceFromTrainedWeights = false
        c.form = .residual
        return c
    }

    /// Whether training needs the untrained adaptor's held-out fidelity per size (the `headroom` weights).
    public var usesHeadroomWeights: Bool { objective == .distill && sizeWeighting == .headroom }

    /// Whether the `distill` objective's preservation term is on.
    public var usesPreservation: Bool { objective == .distill && preserveWeight > 0 }

    /// Whether training measures held-out fidelity (selection, headroom weights or the preserved sizes).
    public var usesFidelity: Bool { selection == .fidelity || usesHeadroomWeights || usesPreservation }

    /// Whether the inputs will be centred on a corpus with these statistics (``centring``, with
    /// ``CentringSignal`` deciding under `auto`).
    public func centres(statistics: CovarianceAccumulator) -> Bool {
        switch centring {
        case .auto: CentringSignal(statistics: statistics).centre
        case .on: true
        case .off: false
        }
    }

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
        case patienceFromTrainedWeights = "patience_from_trained_weights"
        case patienceWhileFalling = "patience_while_falling"
        case validationFraction = "validation_fraction", maxValidationAnchors = "max_validation_anchors", seed
        case selection, fidelityPoolSize = "fidelity_pool_size", objective, form
        case fidelityNeighbourhood = "fidelity_neighbourhood", fidelityScaleQueries = "fidelity_scale_queries"
        case distillationTemperature = "distillation_temperature", sizeWeighting = "size_weighting", centring
        case headroomFloor = "headroom_floor", preserveWeight = "preserve_weight"
        case anchors, miningDimension = "mining_dimension", miningShortlist = "mining_shortlist"
    }
}
