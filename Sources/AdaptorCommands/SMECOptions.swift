import ArgumentParser
import Matryoshka

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

    /// Writes these flags into `options` (``FitOptions/validate()`` checks them).
    func apply(to options: inout FitOptions) {
        options.sequential = schedule == .sequential
        options.adaptiveSelection = !noAdaptiveSelection
        options.crossBatchMemory = !noCrossBatchMemory
        options.memorySize = memorySize
        options.memoryNeighbours = memoryNeighbours
        options.importanceLearningRate = importanceLearningRate
    }
}
