import AdaptorNN
import AdaptorTraining
import ArgumentParser
import Foundation

extension Activation: ExpressibleByArgument {}
extension RotationStart: ExpressibleByArgument {}
extension Reduction: ExpressibleByArgument {}
extension SelectionSignal: ExpressibleByArgument {}
extension SimilarityObjective: ExpressibleByArgument {}
extension SizeWeighting: ExpressibleByArgument {}
extension CentringChoice: ExpressibleByArgument {}
extension AdaptorForm: ExpressibleByArgument {}

/// The adaptor's architecture flags.
struct ArchitectureOptions: ParsableArguments {
    @Option(help: "Hidden units per layer (default: the input dimension d).")
    var hidden: Int?

    @Option(help: "Number of hidden layers.")
    var depth: Int = 1

    @Option(help: "Activation: relu, gelu, tanh or silu.")
    var activation: Activation = .relu

    @Option(help: """
        Front map: principal-axes (an orthogonal map to the corpus's principal axes, applied without \
        centring, so full-dimension cosines are kept and prefixes start where PCA is) or identity (the \
        paper's start, x̂ = x + f(x)).
        """)
    var rotation: RotationStart = .principalAxes

    @Flag(help: "Train the front map (unconstrained) instead of keeping it frozen.")
    var trainRotation = false

    @Option(help: ArgumentHelp("""
        Centre inputs by the corpus mean of the normalised vectors before the adaptor: auto (unsupervised \
        Matryoshka-Adaptor default: centre when the mean cosine between corpus documents is at least \
        \(CentringSignal.threshold), printed by fit), on or off (the default of the other methods).
        """, valueName: "auto|on|off"))
    var center: CentringChoice?

    func validate() throws {
        guard depth >= 1 else { throw ValidationError("--depth must be at least 1, got \(depth)") }
        if let hidden, hidden < 1 { throw ValidationError("--hidden must be positive, got \(hidden)") }
    }

    func configuration(dimension d: Int) -> AdaptorConfiguration {
        AdaptorConfiguration(inputDimension: d, hiddenDimension: hidden ?? d, depth: depth, activation: activation,
                             centering: center == .on, rotation: rotation, trainRotation: trainRotation)
    }
}

/// The unsupervised objective and optimisation flags (defaults from METHOD.md).
struct UnsupervisedOptions: ParsableArguments {
    /// Where the flags' defaults come from.
    static let defaults = UnsupervisedConfiguration()

    @Option(help: ArgumentHelp("Matryoshka sizes M (default: powers of two from 16 below d, then d).", valueName: "m,m,..."))
    var sizes: String?

    @Option(help: """
        Similarity terms: distill (unsupervised default, beyond the paper: each anchor's full-dimension ranking \
        of the batch distilled into every size, softmax KL) or paper (L_topk + α L_pair, L1 on cosines; the \
        default of supervised stage 1 and smec).
        """)
    var objective: SimilarityObjective?

    @Option(help: """
        What training changes: rotation (an orthogonal map learned on the principal axes, the MLP left at zero: \
        every full-dimension cosine is kept exactly), residual (the paper's MLP on a frozen front map) or \
        rotation-then-residual (the rotation first, then the MLP on the front map it learned). \
        Default: \(Self.defaults.form.rawValue) (--objective paper: residual; supervised stage 1 and smec always \
        use residual). The rotation \
        (alone or as the first stage) has its own schedule: \(UnsupervisedConfiguration.rotationIterations) \
        iterations, patience \(UnsupervisedConfiguration.rotationPatience).
        """)
    var form: AdaptorForm?

    @Option(help: """
        How distill weighs the sizes M: headroom (default: each size by the inverse of the room the untrained \
        adaptor leaves it on held-out fidelity, so sizes that are already right are not traded away) or uniform.
        """)
    var sizeWeighting: SizeWeighting?

    @Option(help: "The smallest room 1 − F_m of the headroom weights (the largest weight is about 1/floor times the smallest).")
    var headroomFloor: Double = Self.defaults.headroomFloor

    @Option(help: """
        λ of the distill objective's preservation term: an L1 loss on the (anchor, neighbour) cosines at the sizes \
        the untrained adaptor already reproduces on held-out fidelity (within --headroom-floor of 1, and always d). \
        0 is off; larger keeps more of the large sizes and gains less at the small ones (default: \
        \(String(format: "%g", Double(Self.defaults.preserveWeight))) with distill; 0 with the paper's objective).
        """)
    var preserveWeight: Float?

    @Option(help: "Softmax temperature of --objective distill.")
    var distillationTemperature: Float = Self.defaults.distillationTemperature

    @Option(help: "Reduce each loss term by sum (the paper's literal sums) or mean.")
    var reduction: Reduction = Self.defaults.reduction

    @Option(name: .customLong("k"), help: "Neighbours per document for the top-k loss, mined once over the whole corpus.")
    var neighbours: Int = Self.defaults.neighbours

    @Option(help: "Weight α of the pairwise loss.")
    var alpha: Float = Self.defaults.alpha

    @Option(help: "Weight β of the reconstruction loss.")
    var beta: Float = Self.defaults.beta

    @Option(help: "Anchors per batch (their neighbours join the batch).")
    var batchSize: Int = Self.defaults.batchSize

    @Option(help: "Adam learning rate.")
    var learningRate: Float = Self.defaults.learningRate

    @Option(help: "Maximum training iterations (default: \(Self.defaults.iterations); with the paper's objective, as in supervised stage 1 and smec, \(UnsupervisedConfiguration.paperDefaults.iterations)).")
    var iterations: Int?

    @Option(help: """
        Stop after this many iterations without a better validation signal (default: \(Self.defaults.patience), \
        counted from the best trained weights, since the default's signal dips below the untrained adaptor first \
        and climbs back; with the paper's objective \(UnsupervisedConfiguration.paperDefaults.patience), counted \
        from the best overall). The kept weights are the best overall either way.
        """)
    var patience: Int?

    @Option(help: "Iterations between validations on the held-out 10 % of the corpus.")
    var validationInterval: Int = Self.defaults.validationInterval

    @Option(help: """
        Early stopping and kept weights follow: objective (the training objective on held-out documents) or \
        fidelity (held-out documents retrieving their own full-dimension neighbours, mean nDCG@10 over M; on a \
        corpus of more than 5,000 training documents, 250 held-out documents search a random 5,000 plus each one's \
        30 nearest training documents of the whole corpus, so that their top 10 is the corpus's).
        """)
    var selection: SelectionSignal = Self.defaults.selection

    @Option(help: "Seed for initialisation, the held-out split and batch sampling.")
    var seed: UInt64 = Self.defaults.seed

    @Option(help: ArgumentHelp("""
        Training anchors sampled from the corpus (default: \(UnsupervisedConfiguration.defaultAnchors), or every \
        training row of a smaller corpus). Their neighbours are mined against the whole corpus.
        """, valueName: "N"))
    var anchors: Int?

    @Option(help: ArgumentHelp("""
        Mine neighbours on a shortlist over the first m principal axes, re-ranked exactly (d: exact mining). \
        Default: exact when that costs at most \(Int(UnsupervisedConfiguration.exactMiningBudget / 1e9)) GFLOP, \
        else max(128, d/8); the shortlist's recall against exact mining is measured and printed.
        """, valueName: "m"))
    var miningDimension: Int?

    @Option(help: "Shortlist length per anchor when mining on a prefix.")
    var miningShortlist: Int = Self.defaults.miningShortlist

    func validate() throws {
        guard neighbours >= 1 else { throw ValidationError("--k must be at least 1, got \(neighbours)") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2, got \(batchSize)") }
        guard iterations ?? 1 >= 1, patience ?? 1 >= 1, validationInterval >= 1 else {
            throw ValidationError("--iterations, --patience and --validation-interval must be positive")
        }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
        guard headroomFloor > 0, headroomFloor <= 1 else {
            throw ValidationError("--headroom-floor must be in (0, 1], got \(headroomFloor)")
        }
        if let preserveWeight, !(preserveWeight >= 0 && preserveWeight.isFinite) {
            throw ValidationError("--preserve-weight must be a finite number ≥ 0, got \(preserveWeight)")
        }
        if let sizes { _ = try parseDimensions(sizes, flag: "--sizes") }
        if let anchors, anchors < 1 { throw ValidationError("--anchors must be positive, got \(anchors)") }
        if let miningDimension, miningDimension < 1 { throw ValidationError("--mining-dimension must be positive") }
        guard miningShortlist >= neighbours else {
            throw ValidationError("--mining-shortlist \(miningShortlist) must be at least --k \(neighbours)")
        }
    }

    /// The settings: `base` (the unsupervised defaults, or ``UnsupervisedConfiguration/paperDefaults`` for
    /// supervised stage 1 and smec) with the flags given applied.
    func configuration(dimension d: Int, base: UnsupervisedConfiguration = UnsupervisedConfiguration(),
                       center: CentringChoice? = nil) throws -> UnsupervisedConfiguration {
        var c = base
        if let sizes {
            let values = try parseDimensions(sizes, flag: "--sizes")
            if let bad = values.first(where: { $0 > d }) {
                throw ValidationError("--sizes: \(bad) exceeds the vector dimension \(d)")
            }
            c.sizes = values
        }
        c.reduction = reduction
        c.neighbours = neighbours
        c.alpha = alpha
        c.beta = beta
        c.batchSize = batchSize
        c.learningRate = learningRate
        if let objective, objective != c.objective {
            // The schedule goes with the objective: the paper's keeps its own budget and patience.
            let schedule = objective == .paper ? UnsupervisedConfiguration.paperDefaults : UnsupervisedConfiguration()
            c.objective = objective
            c.iterations = schedule.iterations
            c.patience = schedule.patience
            c.preserveWeight = schedule.preserveWeight
            c.patienceFromTrainedWeights = schedule.patienceFromTrainedWeights
            // The paper's objective trains the paper's residual (unless --form says otherwise).
            if objective == .paper { c.form = .residual }
        }
        if let form, form != c.form {
            c.form = form
            if form == .rotation {
                // A rotation's held-out fidelity rises from the first steps and levels off within a few hundred.
                c.iterations = UnsupervisedConfiguration.rotationIterations
                c.patience = UnsupervisedConfiguration.rotationPatience
            }
        }
        if let iterations { c.iterations = iterations }
        if let patience { c.patience = patience }
        c.validationInterval = validationInterval
        c.selection = selection
        if let sizeWeighting { c.sizeWeighting = sizeWeighting }
        c.headroomFloor = headroomFloor
        if let preserveWeight { c.preserveWeight = preserveWeight }
        if c.preserveWeight > 0, c.objective != .distill {
            throw ValidationError("--preserve-weight belongs to the distill objective (this fit uses \(c.objective.rawValue))")
        }
        if let center { c.centring = center }
        c.distillationTemperature = distillationTemperature
        c.seed = seed
        c.anchors = anchors
        if let miningDimension {
            guard miningDimension <= d else {
                throw ValidationError("--mining-dimension \(miningDimension) exceeds the vector dimension \(d)")
            }
            c.miningDimension = miningDimension
        }
        c.miningShortlist = miningShortlist
        return c
    }
}
