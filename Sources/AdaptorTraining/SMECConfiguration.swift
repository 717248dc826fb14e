/// Settings of SMEC (arXiv 2510.12474): sequential Matryoshka training (SMRL), adaptive dimension
/// selection (ADS) and the selectable cross-batch memory (S-XBM), each of which can be switched off.
public struct SMECConfiguration: Codable, Sendable, Equatable {
    /// The unsupervised terms' settings (`k`, `α`, `β`, batch, learning rate, reduction, `M`, seed, selection).
    /// The smallest size of `M` is where the halvings stop.
    public var unsupervised = UnsupervisedConfiguration.paperDefaults
    /// Supervised settings (ranking term, candidates, query split) when SMEC trains on judgements.
    public var supervised: SupervisedConfiguration?
    /// SMRL: one stage per halving `d → d/2 → … → min M`, each optimising only its own size (false: one joint
    /// stage summing over `M`).
    public var sequential = true
    /// ADS: learn which coordinates each size keeps (false: the first ones).
    public var adaptiveSelection = true
    /// S-XBM: pairs from a FIFO memory of earlier batches join the similarity loss.
    public var crossBatchMemory = true
    /// Documents the memory holds.
    public var memorySize = 2048
    /// Most similar memory entries per anchor (by original cosine) that join the loss.
    public var memoryNeighbours = 5
    /// Gumbel-Softmax temperature at the start and end of each stage (annealed geometrically).
    public var initialTemperature: Float = 1
    public var finalTemperature: Float = 0.1
    /// Adam learning rate of the importance logits.
    public var importanceLearningRate: Float = 1e-2
    /// The iteration budget of the whole run, split evenly across stages (equal to the Matryoshka-Adaptor's).
    public var iterations = 5000
    /// Patience within a stage.
    public var patience = 500

    /// The defaults.
    public init() {}

    /// The sizes trained one per stage: `d/2, d/4, …` while above the smallest size of `M`, then that size
    /// (sequential); or `M` itself (joint).
    public func stageSizes(dimension d: Int) -> [[Int]] {
        let sizes = unsupervised.matryoshkaSizes(dimension: d).sizes
        guard sequential else { return [sizes] }
        let smallest = sizes.first!
        var stages: [[Int]] = []
        var m = d / 2
        while m > smallest {
            stages.append([m])
            m /= 2
        }
        return stages + [[smallest]]
    }

    enum CodingKeys: String, CodingKey {
        case unsupervised, supervised, sequential, adaptiveSelection = "adaptive_selection"
        case crossBatchMemory = "cross_batch_memory", memorySize = "memory_size", memoryNeighbours = "memory_neighbours"
        case initialTemperature = "initial_temperature", finalTemperature = "final_temperature"
        case importanceLearningRate = "importance_learning_rate", iterations, patience
    }
}
