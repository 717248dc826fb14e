import EmbeddingMath
import AdaptorNN

/// Everything a fit can be told, with the command line's defaults: the one description of a fit that `matryoshka
/// fit`, a Swift caller and the bindings fill in, so that the same options make the same trainer and, with the same
/// data and seed, the same model file.
///
/// Unset optionals take the method's own defaults: the unsupervised default (`distill`, two stages, automatic
/// centring) for unsupervised Matryoshka-Adaptor fits, the paper's objective and schedule for supervised stage 1
/// and SMEC (``UnsupervisedConfiguration/paperDefaults``). ``trainer(dimension:)`` resolves them.
public struct FitOptions: Sendable, Equatable {
    /// What a fit trains.
    public enum Method: String, Sendable, CaseIterable, Codable {
        /// The Matryoshka-Adaptor (arXiv 2407.20243): unsupervised, or supervised in two stages.
        case matryoshkaAdaptor = "matryoshka-adaptor"
        /// The supervised Search-Adaptor baseline (arXiv 2310.08750).
        case searchAdaptor = "search-adaptor"
        /// SMEC (arXiv 2510.12474), unsupervised or supervised.
        case smec
    }

    static let unsupervisedDefaults = UnsupervisedConfiguration()
    static let supervisedDefaults = SupervisedConfiguration()
    static let smecDefaults = SMECConfiguration()

    /// The method.
    public var method: Method = .matryoshkaAdaptor
    /// Two-stage supervised training (Matryoshka-Adaptor) or supervised SMEC, on judged training queries.
    public var supervised = false
    /// The judgements' split that trains supervised methods (never `test`).
    public var trainSplit = "train"
    /// A saved stage-1 model to start supervised stage 2 from.
    public var initialModel: String?

    // Architecture.
    /// Hidden units per layer (nil: `d`).
    public var hidden: Int?
    /// Hidden layers.
    public var depth = 1
    /// The nonlinearity.
    public var activation: Activation = .relu
    /// The front map's start.
    public var rotation: RotationStart = .principalAxes
    /// Train the front map unconstrained instead of keeping it frozen.
    public var trainRotation = false
    /// Centring of the inputs (nil: `auto` for unsupervised Matryoshka-Adaptor fits, off otherwise).
    public var center: CentringChoice?

    // The unsupervised objective and its optimisation (stage 1 of the supervised fit, SMEC's base).
    /// Matryoshka sizes `M` (nil: powers of two from 16 below `d`, then `d`).
    public var sizes: [Int]?
    /// `distill` or `paper` (nil: the method's default).
    public var objective: SimilarityObjective?
    /// What training changes (nil: the objective's default).
    public var form: AdaptorForm?
    /// How `distill` weighs the sizes (nil: `headroom`).
    public var sizeWeighting: SizeWeighting?
    /// The smallest room of the `headroom` weights.
    public var headroomFloor = unsupervisedDefaults.headroomFloor
    /// `λ` of the `distill` preservation term (nil: 3 with `distill`, 0 with `paper`).
    public var preserveWeight: Float?
    /// Softmax temperature of `distill`.
    public var distillationTemperature = unsupervisedDefaults.distillationTemperature
    /// Reduction of each term over a batch.
    public var reduction = unsupervisedDefaults.reduction
    /// Neighbours per document `k`.
    public var neighbours = unsupervisedDefaults.neighbours
    /// Weight `α` of the pairwise term.
    public var alpha = unsupervisedDefaults.alpha
    /// Weight `β` of the reconstruction term.
    public var beta = unsupervisedDefaults.beta
    /// Anchors per batch.
    public var batchSize = unsupervisedDefaults.batchSize
    /// Adam learning rate.
    public var learningRate = unsupervisedDefaults.learningRate
    /// Iteration budget (nil: the objective's).
    public var iterations: Int?
    /// Patience (nil: the objective's).
    public var patience: Int?
    /// Iterations between validations.
    public var validationInterval = unsupervisedDefaults.validationInterval
    /// What early stopping watches.
    public var selection = unsupervisedDefaults.selection
    /// Seed of initialisation, splits and sampling.
    public var seed = unsupervisedDefaults.seed
    /// Training anchors sampled from the corpus (nil: 20,000 or every training row).
    public var anchors: Int?
    /// Mine neighbours on this principal-axes prefix (nil: automatic; `d`: exact).
    public var miningDimension: Int?
    /// Shortlist length per anchor when mining on a prefix.
    public var miningShortlist = unsupervisedDefaults.miningShortlist

    // Supervised stage 2 and Search-Adaptor.
    /// Weight `γ` of the ranking loss.
    public var gamma = supervisedDefaults.gamma
    /// Reduction of the unsupervised terms in stage 2.
    public var stage2Reduction = supervisedDefaults.stage2Reduction
    /// Training queries per stage-2 batch.
    public var queryBatchSize = supervisedDefaults.queryBatchSize
    /// Corpus anchors per stage-2 batch.
    public var documentAnchors = supervisedDefaults.documentAnchors
    /// Random corpus documents among each batch's candidates.
    public var randomNegatives = supervisedDefaults.randomNegatives
    /// Hard negatives per query (0: off).
    public var hardNegatives = supervisedDefaults.hardNegatives
    /// Stage-2 (and Search-Adaptor) iteration budget.
    public var stage2Iterations = supervisedDefaults.iterations
    /// Stage-2 patience.
    public var stage2Patience = supervisedDefaults.patience
    /// Iterations between stage-2 validations.
    public var stage2ValidationInterval = supervisedDefaults.validationInterval
    /// Stage-2 Adam learning rate.
    public var stage2LearningRate = supervisedDefaults.learningRate
    /// Search-Adaptor's L1 recovery weight.
    public var recoveryWeight = supervisedDefaults.searchAdaptorRecovery
    /// Search-Adaptor's L1 prediction weight.
    public var predictionWeight = supervisedDefaults.searchAdaptorPrediction

    // SMEC.
    /// Learned dimension selection (ADS).
    public var adaptiveSelection = smecDefaults.adaptiveSelection
    /// The cross-batch memory (S-XBM).
    public var crossBatchMemory = smecDefaults.crossBatchMemory
    /// One stage per halving (SMRL) instead of one joint stage.
    public var sequential = smecDefaults.sequential
    /// Documents held in the memory.
    public var memorySize = smecDefaults.memorySize
    /// Memory entries per anchor that join the loss.
    public var memoryNeighbours = smecDefaults.memoryNeighbours
    /// Adam learning rate of the dimension importances.
    public var importanceLearningRate = smecDefaults.importanceLearningRate

    // Codes.
    /// The codes the fit aims at (``CodeRotation``): after training, each segment is rotated for them when that
    /// raises held-out fidelity through the codes (nil: no code stage; the calibration is stored either way).
    public var precision: Precision?

    /// The defaults: an unsupervised Matryoshka-Adaptor fit.
    public init() {}

    /// Whether the fit trains on judged queries (a supervised fit or Search-Adaptor).
    public var needsJudgements: Bool { supervised || method == .searchAdaptor }

    /// Whether the fit records held-out fidelity at every validation (``TrainedAdaptor/fidelityTrace``).
    public var recordsFidelity: Bool { !needsJudgements && method == .matryoshkaAdaptor && selection == .fidelity }
}

/// A fit option that cannot be used, named as the command line spells it (`center`, `train-split`).
public struct FitOptionsError: Error, Equatable, CustomStringConvertible {
    /// The option at fault, in the command line's spelling without dashes.
    public var option: String
    /// What is wrong and what to do, one sentence.
    public var problem: String

    /// An error about `option`.
    public init(_ option: String, _ problem: String) {
        self.option = option
        self.problem = problem
    }

    public var description: String { "\(option): \(problem)" }
}
