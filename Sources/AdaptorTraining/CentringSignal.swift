import EmbeddingMath

/// Whether the adaptor centres its inputs: a user's fixed choice, or decided from the corpus.
public enum CentringChoice: String, Codable, Sendable, CaseIterable {
    /// Decided by ``CentringSignal`` from the corpus statistics (the unsupervised default).
    case auto
    /// Always subtract the corpus mean of the normalised vectors.
    case on
    /// Never centre: the original geometry.
    case off
}

/// The label-free signal that decides between the original geometry and a centred one.
///
/// For L2-normalised documents `x_i` with mean `μ`, the mean cosine between two different documents is
///
/// `c̄ = (N² ‖μ‖² − N) / (N (N − 1))  ≈ ‖μ‖²`,
///
/// which is also the share of every vector's squared length that the mean direction holds. A corpus with a
/// large `c̄` is *anisotropic*: every cosine carries the same offset, and documents close to the mean (generic,
/// hub-like documents) score high against every query. Subtracting `μ` removes that shared component before
/// cosines are taken, which is what PCA's centring does. Measured on the shared sets (BENCHMARKS.md, issue 14):
/// `c̄` = 0.131 (scifact), 0.027 (dbpedia-entity-5k), 0.250 (cisi, MiniLM) and 0.328 (cisi, mpnet); centring
/// costs the first two and lifts the last two at full dimension. The rule centres when `c̄ ≥ 0.2`, a
/// threshold between the groups; it comes from four data sets, so `--center on|off` overrides it.
public struct CentringSignal: Sendable, Equatable, Codable {
    /// Mean cosine between two different corpus documents, `c̄`.
    public var meanCosine: Double
    /// Whether the rule centres.
    public var centre: Bool

    /// Centre when ``meanCosine`` is at least this.
    public static let threshold = 0.2

    /// The signal of a corpus whose normalised rows `statistics` accumulated (mean and count; `N ≥ 2`).
    public init(statistics: CovarianceAccumulator) {
        self.init(squaredMeanNorm: statistics.mean().reduce(0) { $0 + Double($1) * Double($1) }, count: statistics.count)
    }

    /// The signal from the mean `μ` of `count` L2-normalised rows (as `evaluate --reference auto` streams it).
    public init(normalisedMean mean: [Float], count: Int) {
        self.init(squaredMeanNorm: mean.reduce(0) { $0 + Double($1) * Double($1) }, count: count)
    }

    /// `c̄ = (N² ‖μ‖² − N) / (N (N − 1))` from `‖μ‖²` and `N`.
    init(squaredMeanNorm squaredMean: Double, count: Int) {
        let n = Double(count)
        meanCosine = n > 1 ? (n * n * squaredMean - n) / (n * (n - 1)) : squaredMean
        centre = meanCosine >= Self.threshold
    }

    enum CodingKeys: String, CodingKey {
        case meanCosine = "mean_cosine", centre = "centred"
    }
}
