/// A map applied to queries and documents alike before truncation (`x ↦ T(x)`), chained in front of an
/// index as in faiss: truncation is the identity, PCA a projection, an adaptor a residual MLP.
///
/// Callers do not cut and normalise by hand: ``EmbeddingPipeline`` is the one road from raw vectors to the
/// Matryoshka embedding of size `m`, the re-normalised `m`-prefix of `T(x)`.
public protocol EmbeddingTransform: Sendable {
    /// The dimension `d` of accepted vectors.
    var inputDimension: Int { get }
    /// The dimension of transformed vectors (the largest usable prefix).
    var outputDimension: Int { get }
    /// Transforms an `n × inputDimension` batch into `n × outputDimension`.
    func apply(_ x: Matrix) -> Matrix

    /// `T(x)` with every row scaled to unit Euclidean length (`n × outputDimension`). The default is
    /// `apply(x).normalizedRows()`; an implementation that can normalise inside its own pass (a fused tile that is
    /// still in cache) does so, with the same values.
    func applyNormalized(_ x: Matrix) -> Matrix

    /// The transform that keeps only the first `m` output coordinates, `x ↦ T(x)[:m]` (not re-normalised).
    /// Implementations that can skip the work of the other coordinates do (an adaptor model computes only the
    /// kept rows); the default computes all and cuts.
    func prefixTransform(_ m: Int) -> any EmbeddingTransform
}

extension EmbeddingTransform {
    /// ``PrefixTransform`` around this transform.
    public func prefixTransform(_ m: Int) -> any EmbeddingTransform {
        m == outputDimension ? self : PrefixTransform(base: self, dimension: m)
    }

    /// `apply(x).normalizedRows()`.
    public func applyNormalized(_ x: Matrix) -> Matrix {
        var out = apply(x)
        out.normalizeRows()
        return out
    }
}

/// `x ↦ T(x)[:m]`: the first `m` output coordinates of another transform.
public struct PrefixTransform: EmbeddingTransform {
    /// The transform cut.
    public let base: any EmbeddingTransform
    /// The coordinates kept, `m`.
    public let outputDimension: Int
    /// The base's input dimension.
    public var inputDimension: Int { base.inputDimension }

    /// The first `dimension` coordinates of `base` (`1 ≤ dimension ≤ base.outputDimension`).
    public init(base: any EmbeddingTransform, dimension: Int) {
        precondition(dimension >= 1 && dimension <= base.outputDimension, "Prefix \(dimension) of \(base.outputDimension)")
        self.base = base
        outputDimension = dimension
    }

    /// `T(x)[:m]`.
    public func apply(_ x: Matrix) -> Matrix { base.apply(x).prefix(columns: outputDimension) }
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
