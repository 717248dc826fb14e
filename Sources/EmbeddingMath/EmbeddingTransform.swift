/// A map applied to queries and documents alike before truncation (`x ↦ T(x)`), chained in front of an
/// index as in faiss: truncation is the identity, PCA a projection, an adaptor a residual MLP.
///
/// The Matryoshka embedding of size `m` is the re-normalised `m`-prefix of `T(x)`.
public protocol EmbeddingTransform: Sendable {
    /// The dimension `d` of accepted vectors.
    var inputDimension: Int { get }
    /// The dimension of transformed vectors (the largest usable prefix).
    var outputDimension: Int { get }
    /// Transforms an `n × inputDimension` batch into `n × outputDimension`.
    func apply(_ x: Matrix) -> Matrix
}

/// Truncation, the baseline: the raw vectors unchanged, so the size-`m` embedding is `x[:m] / ‖x[:m]‖`.
public struct IdentityTransform: EmbeddingTransform {
    /// The vector dimension `d`.
    public let inputDimension: Int
    /// Equal to ``inputDimension``.
    public var outputDimension: Int { inputDimension }

    /// The identity on `dimension`-d vectors.
    public init(dimension: Int) { inputDimension = dimension }

    /// Returns `x` unchanged.
    public func apply(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "Expected \(inputDimension)-d vectors, got \(x.columns)")
        return x
    }
}
