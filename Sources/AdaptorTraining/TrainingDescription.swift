import EmbeddingMath
import Foundation

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
