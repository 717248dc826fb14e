import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import Foundation

/// What a training run produced.
public struct TrainingResult: Sendable {
    /// The trained adaptor (best validated weights).
    public var adaptor: MatryoshkaAdaptor
    /// The sizes `M` it was trained for.
    public var sizes: MatryoshkaSizes
    /// Settings and outcome as a deterministic JSON object string, for the model file's metadata.
    public var trainingDescription: String
    /// Each stage's outcome, in order.
    public var stages: [StageOutcome]
    /// The SHA-256 fingerprint of the training corpus, when the trainer read it (unsupervised training).
    public var dataFingerprint: String?
    /// Held-out fidelity per size at every validation (unsupervised training with fidelity selection).
    public var fidelityTrace: FidelityTrace?
}

/// Held-out fidelity (``NeighbourFidelity``, nDCG@10 of held-out documents retrieving their own full-dimension
/// top 10) at each size of `M`, at every validation of a training run: what each size gained or gave up, and when.
public struct FidelityTrace: Sendable, Equatable {
    /// One validation.
    public struct Point: Sendable, Equatable {
        /// Iterations done (0: the untrained adaptor).
        public var iteration: Int
        /// Fidelity at each size of ``FidelityTrace/sizes``, in order.
        public var fidelity: [Double]
    }

    /// The sizes `M`.
    public var sizes: [Int]
    /// The validations, in order.
    public var points: [Point]

    /// One JSON object per line: `{"iteration": i, "fidelity": {"m": F_m, ...}, "mean": F̄}`.
    public var jsonLines: String {
        points.map { point in
            let values = zip(sizes, point.fidelity).map { String(format: "\"%d\": %.6f", $0, $1) }.joined(separator: ", ")
            let mean = point.fidelity.reduce(0, +) / Double(max(point.fidelity.count, 1))
            return String(format: "{\"iteration\": %d, \"fidelity\": {%@}, \"mean\": %.6f}\n", point.iteration, values, mean)
        }.joined()
    }
}

/// Unsupervised Matryoshka-Adaptor training on corpus vectors alone (METHOD.md, arXiv 2407.20243 §3.2).
///
/// Training runs on a ``CorpusSample``: the front map comes from the whole corpus's covariance, a held-out
/// slice of the corpus never serves as a training anchor, and every anchor's neighbours are mined over the whole
/// corpus on the original vectors. The validation signal (held-out fidelity, or the objective on fixed batches of
/// held-out anchors) drives early stopping, and the best weights are kept.
public struct UnsupervisedTrainer {
    /// Training settings.
    public var configuration: UnsupervisedConfiguration
    /// The adaptor's architecture.
    public var adaptorConfiguration: AdaptorConfiguration

    /// A trainer with these settings.
    public init(configuration: UnsupervisedConfiguration, adaptorConfiguration: AdaptorConfiguration) {
        self.configuration = configuration
        self.adaptorConfiguration = adaptorConfiguration
    }

    /// Trains an adaptor on the corpus `source` (`N × d`, raw vectors, in memory or a file read in blocks).
    ///
    /// - Parameters:
    ///   - log: one-line messages about set-up steps (reading, neighbour mining), for standard error.
    ///   - status: transient progress of set-up steps, with rate and time left.
    ///   - progress: periodic training reports.
    public func train(corpus source: RowSource, log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        precondition(source.dimension == adaptorConfiguration.inputDimension, "Corpus dimension differs from the adaptor's")
        let sample = try CorpusSample.build(source: source, configuration: configuration, log: log, status: status)
        return try train(sample: sample, log: log, progress: progress)
    }

    /// Trains an adaptor on a sample built with this trainer's configuration.
    ///
    /// Before the first step: the configuration's ``CentringChoice`` sets the architecture's centring
    /// (``CentringSignal`` decides under `auto`), and with `headroom` size weights the untrained adaptor's
    /// held-out fidelity at each size sets the distillation weights (``headroomWeights(initialFidelity:)``).
    public func train(sample: CorpusSample, log: ((String) -> Void)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        let config = configuration
        let d = sample.vectors.columns
        precondition(d == adaptorConfiguration.inputDimension, "Corpus dimension differs from the adaptor's")
        let sizes = config.matryoshkaSizes(dimension: d)
        var architecture = adaptorConfiguration
        architecture.centering = config.centres(statistics: sample.statistics)
        let signal = config.centring == .auto ? CentringSignal(statistics: sample.statistics) : nil
        if let signal {
            log?(String(format: "mean cosine between corpus documents %.3f %@ %.1f: %@", signal.meanCosine,
                        signal.centre ? "≥" : "<", CentringSignal.threshold,
                        signal.centre ? "inputs centred" : "original geometry (not centred)"))
        }
        if config.form.trainsRotation {
            guard architecture.rotation == .principalAxes else { throw TrainingError.rotationFormNeedsFrontMap }
        }
        // `--train-rotation` (unconstrained) applies to the residual stage; the rotation stage keeps it orthogonal.
        // Each stage sets `trainRotation` before it runs.
        let residualTrainsRotation = adaptorConfiguration.trainRotation
        var adaptor = try MatryoshkaAdaptor(configuration: architecture, statistics: sample.statistics,
                                            seed: config.seed)
        // The two-stage form: the rotation on its own schedule (capped by the configured one), then the residual on
        // the configured one.
        var plan: [(name: String, configuration: UnsupervisedConfiguration)] = [("unsupervised", config)]
        if config.form == .rotationThenResidual {
            var rotation = config
            rotation.form = .rotation
            rotation.iterations = min(UnsupervisedConfiguration.rotationIterations, config.iterations)
            rotation.patience = min(UnsupervisedConfiguration.rotationPatience, config.patience)
            var residual = config
            residual.form = .residual
            plan = [("rotation", rotation), ("residual", residual)]
        }
        var stages: [StageRun] = []
        var fidelity: NeighbourFidelity?  // the held-out relevant sets do not depend on the stage: found once
        for (index, stage) in plan.enumerated() {
            adaptor.configuration.trainRotation = stage.configuration.form == .rotation || residualTrainsRotation
            if plan.count > 1 { log?("stage \(index + 1) of \(plan.count): \(stage.name)") }
            stages.append(runStage(stage.name, configuration: stage.configuration, adaptor: &adaptor, sample: sample,
                                   sizes: sizes, reference: stages.first?.initial, fidelity: &fidelity, log: log,
                                   progress: progress))
        }
        let last = stages[stages.count - 1]
        var result = TrainingResult(adaptor: adaptor, sizes: sizes,
                                    trainingDescription: describe(Dictionary(uniqueKeysWithValues: plan.map { ($0.name, $0.configuration) }),
                                                                  outcomes: Dictionary(uniqueKeysWithValues: zip(plan.map(\.name), stages.map(\.outcome))),
                                                                  sample: SampleDescription(sample), centring: signal,
                                                                  sizeWeights: last.weights, preservedSizes: last.preserved),
                                    stages: stages.map(\.outcome), dataFingerprint: sample.fingerprint)
        let points = stages.enumerated().flatMap { index, stage in
            // Iterations count on across stages, so the trace reads as one run.
            let offset = stages[..<index].reduce(0) { $0 + $1.outcome.iterationsRun }
            return stage.trace.filter { index == 0 || $0.iteration > 0 }
                .map { FidelityTrace.Point(iteration: $0.iteration + offset, fidelity: $0.fidelity) }
        }
        if !points.isEmpty { result.fidelityTrace = FidelityTrace(sizes: sizes.sizes, points: points) }
        return result
    }

    /// What one stage of unsupervised training produced.
    private struct StageRun {
        var outcome: StageOutcome
        var weights: [Float]?
        var preserved: [Int]?
        var trace: [FidelityTrace.Point]
        /// The starting adaptor's held-out fidelity per size (empty without a fidelity signal).
        var initial: [Double]
    }

    /// Trains `adaptor` in place for one stage: with `headroom` size weights the starting adaptor's held-out
    /// fidelity at each size sets the distillation weights (``headroomWeights(initialFidelity:)``) and the sizes the
    /// preservation term guards; the loop keeps the best weights by the selection signal. `reference` is the
    /// untrained adaptor's fidelity when an earlier stage measured it; `fidelity` is built on first use and reused.
    private func runStage(_ name: String, configuration config: UnsupervisedConfiguration, adaptor: inout MatryoshkaAdaptor,
                          sample: CorpusSample, sizes: MatryoshkaSizes, reference: [Double]?,
                          fidelity cached: inout NeighbourFidelity?, log: ((String) -> Void)?,
                          progress: ((TrainingProgress) -> Void)?) -> StageRun {
        let d = sample.vectors.columns
        let state = UnsupervisedState(adaptor: adaptor, corpus: sample.vectors, neighbours: sample.neighbours,
                                      configuration: config, sizes: sizes)
        let sampler = AnchorSampler(pool: sample.anchors, generator: SeededGenerator(seed: config.seed &+ 3))
        let heldOut = sample.heldOut
        if config.usesFidelity, cached == nil {
            cached = NeighbourFidelity(normalisedCorpus: state.objective.normalisedCorpus,
                                       heldOut: sample.fidelityQueries, pool: sample.pool, sizes: sizes)
        }
        let fidelity = cached
        let initial = fidelity?.validation.scores(adaptor) { state.inputs(adaptor, rows: $0).rotated } ?? []
        let start = reference ?? initial
        let weights = config.usesHeadroomWeights && !start.isEmpty
            ? headroomWeights(initialFidelity: start, floor: config.headroomFloor) : nil
        if let weights {
            state.objective.distillation?.sizeWeights = weights
            log?("size weights from the untrained adaptor's held-out fidelity: " + zip(sizes.sizes, zip(start, weights))
                .map { String(format: "m=%d %.3f → %.1f", $0, $1.0, $1.1) }.joined(separator: ", "))
        }
        var preserved: [Int]?
        if config.usesPreservation, !start.isEmpty {
            let kept = preservedSizes(sizes.sizes, initialFidelity: start, floor: config.headroomFloor)
            state.objective.preservation = Preservation(loss: SimilarityLoss(sizes: MatryoshkaSizes(kept, dimension: d)),
                                                        weight: config.preserveWeight)
            preserved = kept
            log?("preservation term λ = \(config.preserveWeight) at m = " + kept.map(String.init).joined(separator: ", "))
        }
        var trace: [FidelityTrace.Point] = []
        let validate: (MatryoshkaAdaptor, Int) -> Double
        switch config.selection {
        case .objective:
            let batches = state.validationBatches(rows: heldOut, batchSize: config.batchSize)
            validate = { current, _ in state.validationLoss(current, batches: batches) }
        case .fidelity:
            validate = { current, iteration in
                // The loop's first validation is of the untrained adaptor, whose scores `initial` already holds.
                let scores = iteration == 0 && !initial.isEmpty
                    ? initial : fidelity!.validation.scores(current) { state.inputs(current, rows: $0).rotated }
                trace.append(.init(iteration: iteration, fidelity: scores))
                return scores.reduce(0, +) / Double(max(scores.count, 1))
            }
        }
        let loop = TrainingLoop(stage: name, iterations: config.iterations, patience: config.patience,
                                validationInterval: config.validationInterval, learningRate: config.learningRate,
                                higherIsBetter: config.selection == .fidelity,
                                patienceFromTrainedWeights: config.patienceFromTrainedWeights,
                                patienceWhileFalling: config.patienceWhileFalling,
                                orthogonalFrontMap: config.form == .rotation)
        let outcome = loop.run(
            adaptor: &adaptor,
            step: { current in state.step(current, anchors: sampler.next(config.batchSize)) },
            validate: validate, progress: progress)
        if let fidelity, !initial.isEmpty, let log {
            let current = adaptor
            let kept = trace.first { $0.iteration == outcome.bestIteration }?.fidelity
                ?? fidelity.validation.scores(current) { state.inputs(current, rows: $0).rotated }
            log("held-out fidelity per size, \(reference == nil ? "untrained" : "stage start") → kept: "
                + zip(sizes.sizes, zip(initial, kept))
                .map { String(format: "m=%d %.3f → %.3f", $0, $1.0, $1.1) }.joined(separator: ", "))
        }
        return StageRun(outcome: outcome, weights: weights, preserved: preserved, trace: trace, initial: initial)
    }
}

/// The per-run state an unsupervised step needs: targets, neighbours, cached inputs.
final class UnsupervisedState {
    var objective: UnsupervisedObjective
    /// `x̃` of every corpus row.
    let preprocessed: Matrix
    /// `z = P x̃` of every corpus row when `P` is frozen (nil when it is trained).
    let frozenRotated: Matrix?
    private var scratch: [Int32]
    /// Rows of the most recent training batch (anchors and neighbours).
    private(set) var lastBatchRows = 0
    /// Whether only the front map trains (`--form rotation`): the MLP's output stays zero, so its passes are skipped.
    let frontMapOnly: Bool

    /// - Parameter neighbourCount: neighbours per item used by `L_topk` (default: the configuration's `k`;
    ///   0 turns the term off). `neighbours` has `k` entries per item either way.
    init(adaptor: MatryoshkaAdaptor, corpus: Matrix, neighbours: [Int32], configuration: UnsupervisedConfiguration,
         sizes: MatryoshkaSizes, neighbourCount: Int? = nil) {
        let preprocessed = adaptor.preprocess(corpus)
        // Targets live in the adaptor's geometry: the normalised inputs, re-normalised after centring.
        objective = UnsupervisedObjective(loss: SimilarityLoss(sizes: sizes), reduction: configuration.reduction,
                                          alpha: configuration.alpha, beta: configuration.beta,
                                          normalisedCorpus: adaptor.mean == nil ? preprocessed : preprocessed.normalizedRows(),
                                          neighbours: neighbours,
                                          k: configuration.neighbours, used: neighbourCount ?? configuration.neighbours,
                                          distillation: configuration.objective == .distill
                                              ? DistillationLoss(sizes: sizes, temperature: configuration.distillationTemperature) : nil)
        self.preprocessed = preprocessed
        frozenRotated = adaptor.configuration.trainRotation ? nil : adaptor.rotate(preprocessed)
        frontMapOnly = configuration.form == .rotation
        scratch = [Int32](repeating: -1, count: corpus.rows)
    }

    /// The MLP input `z` for corpus rows, and `x̃` when the front map is trained.
    func inputs(_ adaptor: MatryoshkaAdaptor, rows: [Int]) -> (rotated: Matrix, preprocessed: Matrix?) {
        if let frozenRotated { return (frozenRotated.gatherRows(rows), nil) }
        let x = preprocessed.gatherRows(rows)
        return (adaptor.rotate(x), x)
    }

    /// Loss terms and gradient of one batch.
    func step(_ adaptor: MatryoshkaAdaptor, anchors: [Int]) -> (LossTerms, AdaptorParameters) {
        step(adaptor, batch: makeBatch(anchors: anchors), extraLoss: nil)
    }

    /// The batch of `anchors` (item rows) and their neighbours.
    func makeBatch(anchors: [Int]) -> UnsupervisedBatch {
        objective.batch(anchors: anchors, scratch: &scratch)
    }

    /// Loss terms and gradient of `batch`; `extraLoss` may add terms on the same forward pass (returning
    /// its terms and adding its gradient into the output gradient).
    func step(_ adaptor: MatryoshkaAdaptor, batch: UnsupervisedBatch,
              extraLoss: ((AdaptorForward, inout Matrix) -> LossTerms)?) -> (LossTerms, AdaptorParameters) {
        lastBatchRows = batch.corpusRows.count
        let (z, x) = inputs(adaptor, rows: batch.corpusRows)
        let forward = frontMapOnly ? adaptor.frontMapForward(rotated: z) : adaptor.forward(rotated: z)
        var (terms, outputGradient, residualGradient) = objective.evaluate(forward, batch)
        if let extraLoss {
            let extra = extraLoss(forward, &outputGradient)
            terms = LossTerms(terms: terms.terms + extra.terms, total: terms.total + extra.total)
        }
        if frontMapOnly, let x { return (terms, adaptor.frontMapBackward(outputGradient: outputGradient, preprocessed: x)) }
        let gradient = adaptor.backward(forward, outputGradient: outputGradient, residualGradient: residualGradient,
                                        preprocessed: x)
        return (terms, gradient)
    }

    /// Fixed validation batches of `batchSize` held-out anchors (one smaller batch when there are fewer).
    func validationBatches(rows: [Int], batchSize: Int) -> [UnsupervisedBatch] {
        let chunks = max(1, rows.count / batchSize)
        let size = rows.count / chunks
        return (0 ..< chunks).map { c in objective.batch(anchors: Array(rows[c * size ..< (c + 1) * size]), scratch: &scratch) }
    }

    /// The mean objective over the validation batches.
    func validationLoss(_ adaptor: MatryoshkaAdaptor, batches: [UnsupervisedBatch]) -> Double {
        batches.reduce(0.0) { sum, batch in
            let forward = adaptor.forward(rotated: inputs(adaptor, rows: batch.corpusRows).rotated)
            return sum + objective.evaluate(forward, batch).0.total
        } / Double(batches.count)
    }
}

/// Shuffles `0..<count` and holds out `fraction` of it (at least one row, at most all but one).
func splitForValidation(count: Int, fraction: Double, generator: inout SeededGenerator) -> (train: [Int], validation: [Int]) {
    var order = Array(0 ..< count)
    order.shuffle(using: &generator)
    let held = min(max(1, Int((Double(count) * fraction).rounded())), count - 1)
    return (Array(order[held...]), Array(order[..<held]))
}

/// A deterministic JSON description of the settings and outcomes of each stage (and of the corpus sample).
func describe<C: Encodable>(_ settings: [String: C], outcomes: [String: StageOutcome],
                            sample: SampleDescription? = nil, centring: CentringSignal? = nil,
                            sizeWeights: [Float]? = nil, preservedSizes: [Int]? = nil) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let description = TrainingDescription(settings: settings, outcomes: outcomes, sample: sample, centring: centring,
                                          sizeWeights: sizeWeights, preservedSizes: preservedSizes)
    let data = (try? encoder.encode(description)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

struct TrainingDescription<S: Encodable>: Encodable {
    var settings: [String: S]
    var outcomes: [String: StageOutcome]
    var sample: SampleDescription?
    /// The automatic centring decision and its signal.
    var centring: CentringSignal?
    /// The `headroom` size weights.
    var sizeWeights: [Float]?
    /// The sizes the preservation term guards, when it is on.
    var preservedSizes: [Int]?

    enum CodingKeys: String, CodingKey {
        case settings, outcomes, sample, centring, sizeWeights = "size_weights", preservedSizes = "preserved_sizes"
    }
}

/// What a ``CorpusSample`` held, for the model file.
struct SampleDescription: Encodable {
    var corpusRows: Int
    var anchors: Int
    var heldOut: Int
    var sampledRows: Int
    var mining: MiningOutcome
    var fidelityQueries: Int
    var fidelityPool: Int

    init(_ sample: CorpusSample) {
        corpusRows = sample.corpusCount
        anchors = sample.anchorCount
        heldOut = sample.heldOutCount
        sampledRows = sample.vectors.rows
        mining = sample.mining
        fidelityQueries = sample.fidelityQueryCount
        fidelityPool = sample.pool.count
    }

    enum CodingKeys: String, CodingKey {
        case corpusRows = "corpus_rows", anchors, heldOut = "held_out", sampledRows = "sampled_rows", mining
        case fidelityQueries = "fidelity_queries", fidelityPool = "fidelity_pool"
    }
}

/// Training problems a user can cause.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The corpus is too small for the neighbour count.
    case tooFewDocuments(count: Int, needed: Int)
    /// Too few judged training queries to hold some out.
    case tooFewQueries(count: Int, needed: Int)
    /// More anchors were asked for than the corpus has training rows.
    case tooManyAnchors(requested: Int, available: Int, corpus: Int)
    /// The rotation form trains the principal-axes front map, and there is none.
    case rotationFormNeedsFrontMap

    public var description: String {
        switch self {
        case let .tooFewDocuments(count, needed):
            return "training needs at least \(needed) documents for this neighbour count, got \(count)"
        case let .tooFewQueries(count, needed):
            return "supervised training needs at least \(needed) judged training queries that exist in the query set, got \(count)"
        case let .tooManyAnchors(requested, available, corpus):
            return "--anchors \(requested) exceeds the \(available) training rows of this \(corpus)-row corpus "
                + "(a tenth is held out for validation); ask for at most \(available), or leave --anchors out"
        case .rotationFormNeedsFrontMap:
            return "--form rotation and rotation-then-residual train the principal-axes front map; with --rotation identity use --form residual"
        }
    }
}

/// The speed of training steps alone, for benchmarks.
public struct StepTiming: Sendable {
    /// Steps timed.
    public var iterations: Int
    /// Wall time of those steps (batch assembly, forward, losses, backward, Adam), in seconds.
    public var seconds: Double
    /// Floating-point operations in the matrix products of those steps: per step `2 n d h` per weight
    /// matrix forward, twice that backward (weight and input gradients; none for the frozen input), and
    /// `4 B² d` for the pairwise Gram matrices and their gradient, with `n` the batch rows and `B` the anchors.
    public var flops: Double
}

extension UnsupervisedTrainer {
    /// Times `iterations` training steps (with Adam updates, without validation) on `corpus`.
    public func timeSteps(corpus: Matrix, iterations: Int) throws -> StepTiming {
        let config = configuration
        let sizes = config.matryoshkaSizes(dimension: corpus.columns)
        var adaptor = try MatryoshkaAdaptor(configuration: adaptorConfiguration, corpus: corpus, seed: config.seed)
        let neighbours = mineNeighbours(corpus: corpus, k: config.neighbours)
        let state = UnsupervisedState(adaptor: adaptor, corpus: corpus, neighbours: neighbours, configuration: config,
                                      sizes: sizes)
        let sampler = AnchorSampler(pool: Array(0 ..< corpus.rows), generator: SeededGenerator(seed: config.seed))
        var optimiser = Adam(learningRate: config.learningRate, zeros: AdaptorParameters(zerosLike: adaptor.parameters),
                             paths: adaptor.parameters.tensorPaths(includeRotation: adaptorConfiguration.trainRotation))
        let d = Double(corpus.columns), h = Double(adaptorConfiguration.hiddenDimension)
        let perRow = 2 * d * h * 3 + 2 * h * h * 3 * Double(adaptorConfiguration.depth - 1) + 2 * h * d * 2
            + (adaptorConfiguration.trainRotation && adaptorConfiguration.rotation != .identity ? 2 * d * d * 3 : 0)
        var flops = 0.0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0 ..< iterations {
                let anchors = sampler.next(config.batchSize)
                let (_, gradient) = state.step(adaptor, anchors: anchors)
                optimiser.update(&adaptor.parameters, along: gradient)
                flops += perRow * Double(state.lastBatchRows) + 4 * Double(anchors.count * anchors.count) * d
            }
        }
        return StepTiming(iterations: iterations, seconds: elapsed / .seconds(1), flops: flops)
    }
}
