import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath

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
        let state = TrainingStep(adaptor: adaptor, corpus: corpus, neighbours: neighbours, configuration: config,
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
