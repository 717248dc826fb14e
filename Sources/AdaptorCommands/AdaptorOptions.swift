import ArgumentParser
import Foundation
import Matryoshka

extension Activation: ExpressibleByArgument {}
extension RotationStart: ExpressibleByArgument {}
extension Reduction: ExpressibleByArgument {}
extension SelectionSignal: ExpressibleByArgument {}
extension SimilarityObjective: ExpressibleByArgument {}
extension SizeWeighting: ExpressibleByArgument {}
extension CentringChoice: ExpressibleByArgument {}
extension AdaptorForm: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

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

    @Option(help: ArgumentHelp("""
        Aim the fit at int8, int4, int2 or binary codes: after training, rotate each Matryoshka segment of the \
        output for those codes (ITQ's alternation with the codes' own quantiser; the float vectors at the model's \
        sizes are unchanged), kept only when held-out neighbour-recall@10 through the codes rises (printed). \
        Every fit stores the codes' calibration either way.
        """, valueName: "P"))
    var precision: Precision?

    /// Writes these flags into `options`.
    func apply(to options: inout FitOptions) {
        options.hidden = hidden
        options.depth = depth
        options.activation = activation
        options.rotation = rotation
        options.trainRotation = trainRotation
        options.center = center
        options.precision = precision
    }
}

/// The unsupervised objective and optimisation flags (defaults from METHOD.md).
struct UnsupervisedOptions: ParsableArguments {
    /// Where the flags' defaults come from (``FitOptions`` has the same).
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

    /// Writes these flags into `options` (``FitOptions/validate()`` checks them).
    func apply(to options: inout FitOptions) throws {
        options.sizes = try sizes.map { try parseDimensions($0, flag: "--sizes") }
        options.objective = objective
        options.form = form
        options.sizeWeighting = sizeWeighting
        options.headroomFloor = headroomFloor
        options.preserveWeight = preserveWeight
        options.distillationTemperature = distillationTemperature
        options.reduction = reduction
        options.neighbours = neighbours
        options.alpha = alpha
        options.beta = beta
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.iterations = iterations
        options.patience = patience
        options.validationInterval = validationInterval
        options.selection = selection
        options.seed = seed
        options.anchors = anchors
        options.miningDimension = miningDimension
        options.miningShortlist = miningShortlist
    }
}
