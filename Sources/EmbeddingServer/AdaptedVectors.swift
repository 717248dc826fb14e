import AdaptorNN
import EmbeddingMath
import Foundation
import Synchronization
import VectorSearch

/// The adaptor as the server applies it: `dimensions = m` gives the first `m` adapted coordinates, re-normalised,
/// computed with only the work they need (``PrefixInference``, built once per `m` and kept).
public final class AdaptedVectors: Sendable {
    /// The loaded model.
    public let model: AdaptorModel
    private let prefixes = Mutex<[Int: PrefixInference]>([:])

    public init(model: AdaptorModel) {
        self.model = model
    }

    /// The input dimension `d`.
    public var inputDimension: Int { model.inputDimension }
    /// The output dimension (the largest `dimensions`).
    public var outputDimension: Int { model.outputDimension }

    /// Adapted rows (`n × d` → `n × m`, each unit length), `m` = `dimensions` or the full output.
    public func adapt(_ rows: Matrix, dimensions: Int?) -> Matrix {
        let m = dimensions ?? outputDimension
        let inference = prefixes.withLock { cache in
            if let known = cache[m] { return known }
            let made = PrefixInference(model: model, dimension: m)
            cache[m] = made
            return made
        }
        return inference.apply(rows, normalizingOutput: true)
    }
}
