import EmbeddingMath
import AdaptorNN
import AdaptorOptimizers

/// How a training stage ended.
public struct StageOutcome: Codable, Sendable, Equatable {
    /// Iterations run before stopping.
    public var iterationsRun: Int
    /// The iteration whose weights were kept (0 = the starting weights).
    public var bestIteration: Int
    /// The validation value of the kept weights.
    public var bestValidation: Double
    /// Whether patience ran out before the iteration budget.
    public var stoppedEarly: Bool

    enum CodingKeys: String, CodingKey {
        case iterationsRun = "iterations_run", bestIteration = "best_iteration"
        case bestValidation = "best_validation", stoppedEarly = "stopped_early"
    }
}

/// The loop every trainer shares: Adam steps, validation every `validationInterval` iterations (and before
/// the first), early stopping after `patience` iterations without improvement (on the best overall, or on the best
/// trained weights: ``patienceFromTrainedWeights``), best weights kept.
struct TrainingLoop {
    var stage: String
    var iterations: Int
    var patience: Int
    var validationInterval: Int
    var learningRate: Float
    /// True when validation is a metric to maximise (nDCG), false for a loss.
    var higherIsBetter: Bool
    /// Whether patience counts from the best validation of trained weights (the starting weights excluded) rather
    /// than from the best overall. The kept weights are the best overall either way; this only decides how long a
    /// signal that fell below its start in the first steps may climb back.
    var patienceFromTrainedWeights = false
    /// With ``patienceFromTrainedWeights``: while no trained weights have beaten the start and the latest validation
    /// is the worst yet, the stage stops this many iterations after its best trained weights (nil: never early). A
    /// signal that is still falling has not begun the climb that the long patience waits for.
    var patienceWhileFalling: Int? = nil
    /// Whether only the front map `P` is trained, on the orthogonal group (``/AdaptorOptimizers/OrthogonalAdam``), with the MLP left as
    /// it is (its output layer at zero: `x̂ = P x̃`, every full-dimension cosine kept exactly). Needs a front map.
    var orthogonalFrontMap = false

    /// Trains `adaptor` in place; on return it holds the best validated weights.
    ///
    /// - Parameters:
    ///   - step: loss terms and parameter gradient of the next minibatch at the current weights.
    ///   - validate: the validation value of some weights, given the iterations done (0: the starting weights).
    ///   - progress: receives a report at each validation and about once a second in between.
    /// - Throws: ``/EmbeddingMath/Cancelled`` when ``/EmbeddingMath/Cancellation/current`` is raised (checked before
    ///   every iteration); `adaptor` is then left as it was.
    func run(adaptor: inout MatryoshkaAdaptor, step: (MatryoshkaAdaptor) -> (LossTerms, AdaptorParameters),
             validate: (MatryoshkaAdaptor, Int) -> Double, progress: ((TrainingProgress) -> Void)?) throws(Cancelled) -> StageOutcome {
        let start = adaptor.parameters
        let trainRotation = adaptor.configuration.trainRotation
        precondition(!orthogonalFrontMap || (trainRotation && adaptor.parameters.rotation != nil),
                     "An orthogonal front map needs a trained principal-axes front map")
        // One optimiser, the one this stage uses: moments for every trained tensor, or for the front map alone.
        var optimiser = orthogonalFrontMap ? nil : Adam(
            learningRate: learningRate, zeros: AdaptorParameters(zerosLike: adaptor.parameters),
            paths: adaptor.parameters.tensorPaths(includeRotation: trainRotation))
        var rotationOptimiser = orthogonalFrontMap
            ? OrthogonalAdam(learningRate: learningRate, dimension: adaptor.inputDimension) : nil
        var best = adaptor.parameters
        func improves(_ value: Double, on reference: Double) -> Bool {
            higherIsBetter ? value > reference : value < reference
        }
        var bestValue = validate(adaptor, 0)
        var bestIteration = 0
        var latest = bestValue
        var trainedBest = higherIsBetter ? -Double.infinity : Double.infinity
        var trainedBestIteration = 0
        var worst = bestValue
        var accumulator = LossAccumulator()
        let clock = ContinuousClock()
        let startTime = clock.now
        var lastReport = startTime
        var iteration = 0
        var stoppedEarly = false

        func report() {
            guard let progress else { return }
            let (rate, left) = progressRate(done: iteration, total: iterations, since: startTime)
            progress(TrainingProgress(
                stage: stage, iteration: iteration, totalIterations: iterations, losses: accumulator.takeMeans(),
                validation: latest, bestValidation: bestValue, validationIsMetric: higherIsBetter,
                iterationsPerSecond: rate, secondsRemaining: left))
            lastReport = clock.now
        }

        while iteration < iterations {
            if Cancellation.current?.isCancelled == true {
                adaptor.parameters = start
                throw Cancelled()
            }
            let (terms, gradient) = step(adaptor)
            if orthogonalFrontMap {
                rotationOptimiser!.update(&adaptor.parameters.rotation!, along: gradient.rotation!)
            } else {
                optimiser!.update(&adaptor.parameters, along: gradient)
            }
            accumulator.add(terms)
            iteration += 1
            if iteration % validationInterval == 0 || iteration == iterations {
                latest = validate(adaptor, iteration)
                if improves(latest, on: bestValue) {
                    bestValue = latest
                    best = adaptor.parameters
                    bestIteration = iteration
                }
                if improves(latest, on: trainedBest) {
                    trainedBest = latest
                    trainedBestIteration = iteration
                }
                let falling = improves(worst, on: latest)
                if falling { worst = latest }
                report()
                if iteration - (patienceFromTrainedWeights ? trainedBestIteration : bestIteration) >= patience
                    || (patienceFromTrainedWeights && falling && bestIteration == 0
                        && iteration - trainedBestIteration >= patienceWhileFalling ?? .max) {
                    stoppedEarly = iteration < iterations
                    break
                }
            } else if progress != nil, clock.now - lastReport > .seconds(1) {
                report()
            }
        }
        adaptor.parameters = best
        return StageOutcome(iterationsRun: iteration, bestIteration: bestIteration, bestValidation: bestValue,
                            stoppedEarly: stoppedEarly)
    }
}

/// Draws anchors without replacement, reshuffling the pool each epoch.
final class AnchorSampler {
    private let pool: [Int]
    private var order: [Int]
    private var position = 0
    private var generator: SeededGenerator

    init(pool: [Int], generator: SeededGenerator) {
        precondition(!pool.isEmpty, "No training anchors")
        self.pool = pool
        self.generator = generator
        order = pool
        order.shuffle(using: &self.generator)
    }

    /// The next `count` anchors (distinct when `count ≤ pool.count`).
    func next(_ count: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var seen = Set<Int>()
        while out.count < min(count, pool.count) {
            if position == order.count {
                order = pool
                order.shuffle(using: &generator)
                position = 0
            }
            let candidate = order[position]
            position += 1
            if seen.insert(candidate).inserted { out.append(candidate) }
        }
        return out
    }
}
