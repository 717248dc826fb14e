import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import Foundation

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
    func train(corpus source: RowSource, log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        precondition(source.dimension == adaptorConfiguration.inputDimension, "Corpus dimension differs from the adaptor's")
        let sample = try CorpusSample.build(source: source, configuration: configuration, log: log, status: status)
        return try train(sample: sample, log: log, progress: progress)
    }

    /// Trains an adaptor on a sample built with this trainer's configuration.
    ///
    /// Before the first step: the configuration's ``CentringChoice`` sets the architecture's centring
    /// (``CentringSignal`` decides under `auto`), and with `headroom` size weights the untrained adaptor's
    /// held-out fidelity at each size sets the distillation weights (``headroomWeights(initialFidelity:floor:)``).
    func train(sample: CorpusSample, log: ((String) -> Void)? = nil,
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
            stages.append(try runStage(stage.name, configuration: stage.configuration, adaptor: &adaptor, sample: sample,
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
    /// fidelity at each size sets the distillation weights (``headroomWeights(initialFidelity:floor:)``) and the sizes the
    /// preservation term guards; the loop keeps the best weights by the selection signal. `reference` is the
    /// untrained adaptor's fidelity when an earlier stage measured it; `fidelity` is built on first use and reused.
    private func runStage(_ name: String, configuration config: UnsupervisedConfiguration, adaptor: inout MatryoshkaAdaptor,
                          sample: CorpusSample, sizes: MatryoshkaSizes, reference: [Double]?,
                          fidelity cached: inout NeighbourFidelity?, log: ((String) -> Void)?,
                          progress: ((TrainingProgress) -> Void)?) throws(Cancelled) -> StageRun {
        let d = sample.vectors.columns
        let state = TrainingStep(adaptor: adaptor, corpus: sample.vectors, neighbours: sample.neighbours,
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
        let outcome = try loop.run(
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

extension UnsupervisedTrainer: AdaptorTrainer {
    /// `matryoshka-adaptor`.
    public var method: String { "matryoshka-adaptor" }

    /// Trains on the corpus vectors (of judged data, its corpus alone); the model's fingerprint is the corpus's.
    public func train(_ data: TrainingData, callbacks: TrainingCallbacks) throws -> TrainedAdaptor {
        let source: any RowSource = switch data {
        case let .corpus(source): source
        case let .judged(set): set.corpus
        }
        let result = try train(corpus: source, log: callbacks.log, status: callbacks.status, progress: callbacks.progress)
        return TrainedAdaptor(result, method: method, fingerprint: result.dataFingerprint ?? "")
    }
}
