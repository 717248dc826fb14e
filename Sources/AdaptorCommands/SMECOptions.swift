import AdaptorTraining
import ArgumentParser

/// SMEC's switches (`fit --method smec`), so that each part can be ablated.
struct SMECOptions: ParsableArguments {
    /// Where the flags' defaults come from.
    static let defaults = SMECConfiguration()

    @Flag(name: .customLong("no-ads"), help: "SMEC without adaptive dimension selection: sizes keep the first coordinates.")
    var noAdaptiveSelection = false

    @Flag(name: .customLong("no-xbm"), help: "SMEC without the cross-batch memory.")
    var noCrossBatchMemory = false

    @Flag(exclusivity: .exclusive, help: "SMEC stages: --sequential (one per halving, SMRL) or --joint (one stage over M).")
    var schedule: Schedule = .sequential

    @Option(help: "SMEC: documents held in the cross-batch memory.")
    var memorySize: Int = Self.defaults.memorySize

    @Option(help: "SMEC: most similar memory entries per anchor that join the loss.")
    var memoryNeighbours: Int = Self.defaults.memoryNeighbours

    @Option(help: "SMEC: Adam learning rate of the dimension importances.")
    var importanceLearningRate: Float = Self.defaults.importanceLearningRate

    enum Schedule: String, EnumerableFlag {
        case sequential, joint
    }

    func validate() throws {
        guard memorySize >= 1, memoryNeighbours >= 1 else { throw ValidationError("--memory-size and --memory-neighbours must be positive") }
    }

    func configuration(unsupervised: UnsupervisedConfiguration, supervised: SupervisedConfiguration?) -> SMECConfiguration {
        var c = SMECConfiguration()
        c.unsupervised = unsupervised
        c.supervised = supervised
        c.sequential = schedule == .sequential
        c.adaptiveSelection = !noAdaptiveSelection
        c.crossBatchMemory = !noCrossBatchMemory
        c.memorySize = memorySize
        c.memoryNeighbours = memoryNeighbours
        c.importanceLearningRate = importanceLearningRate
        c.iterations = unsupervised.iterations
        c.patience = unsupervised.patience
        return c
    }
}
