import AdaptorNN
import Foundation

/// What a training run produced, before it becomes a ``TrainedAdaptor``.
struct TrainingResult: Sendable {
    /// The trained adaptor (best validated weights).
    var adaptor: MatryoshkaAdaptor
    /// The sizes `M` it was trained for.
    var sizes: MatryoshkaSizes
    /// Settings and outcome as a deterministic JSON object string, for the model file's metadata.
    var trainingDescription: String
    /// Each stage's outcome, in order.
    var stages: [StageOutcome]
    /// The SHA-256 fingerprint of the training corpus, when the trainer read it (unsupervised training).
    var dataFingerprint: String?
    /// Held-out fidelity per size at every validation (unsupervised training with fidelity selection).
    var fidelityTrace: FidelityTrace?
}

/// Held-out fidelity (`NeighbourFidelity`, nDCG@10 of held-out documents retrieving their own full-dimension
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
