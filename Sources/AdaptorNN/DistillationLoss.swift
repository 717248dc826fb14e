import EmbeddingMath
import Foundation

/// A listwise alternative to the paper's similarity losses (beyond METHOD.md; the unsupervised default): each
/// anchor's ranking of the batch under the original full vectors is distilled into its ranking at every size,
///
/// `L_dist = Σ_{m ∈ M} (w_m/A) Σ_i KL(p_i ‖ q_i^m)`, `p_ij = softmax_j(t_ij / τ)`, `q_ij^m = softmax_j(sim_m(ŷ_i, ŷ_j) / τ)`
///
/// over the candidates `j ≠ i` (every batch row but the anchor itself), with `t_ij` the original cosine and
/// `w_m` a weight per size (1 unless given).
/// `∂L/∂sim_m(ŷ_i, ŷ_j) = w_m (q_ij^m - p_ij) / (τ A)`; the rest is ``SimilarityLoss/crossSimilarities(_:_:lossAtRow:)``.
public struct DistillationLoss: Sendable {
    /// The sizes `M`.
    public let sizes: MatryoshkaSizes
    /// The softmax temperature `τ`.
    public let temperature: Float
    /// The weight `w_m` of each size of `M`, in order (nil: all 1).
    public var sizeWeights: [Float]? {
        didSet { precondition(sizeWeights.map { $0.count == sizes.count } ?? true, "One weight per size of M") }
    }

    /// A distillation loss over `sizes` at temperature `τ`, sizes weighed by `sizeWeights` (nil: all 1).
    public init(sizes: MatryoshkaSizes, temperature: Float, sizeWeights: [Float]? = nil) {
        precondition(sizeWeights.map { $0.count == sizes.count } ?? true, "One weight per size of M")
        self.sizes = sizes
        self.temperature = temperature
        self.sizeWeights = sizeWeights
    }

    /// The loss of anchors (the first `anchors` rows of `outputs`) against every row, and `∂L/∂outputs`.
    ///
    /// - Parameters:
    ///   - y: the outputs, the adapted batch `ŷ`, `n × d`; rows `0 ..< anchors` are the anchors.
    ///   - anchors: how many of the first rows are anchors.
    ///   - targets: original cosines, `anchors × n` (the diagonal `(i, i)` is ignored).
    ///   - weight: a factor on the term.
    /// - Returns: the loss and `∂L/∂outputs` (`n × d`).
    public func callAsFunction(outputs y: Matrix, anchors: Int, targets: Matrix, weight: Float = 1) -> LossAndGradient<Matrix> {
        let n = y.rows
        precondition(targets.rows == anchors && targets.columns == n, "targets must be \(anchors) × \(n)")
        let tau = Double(temperature)
        // The teacher distribution (and its logarithm) is the same at every size.
        let teacher = Parallelism.map(jobs: anchors) { i, _ -> (p: [Double], logP: [Double]) in
            let p = [Double](unsafeUninitializedCapacity: n) { e, count in
                let sum = softmaxNumerators(count: n, excluding: i, logit: { Double(targets[i, $0]) / tau }, into: e)
                for j in 0 ..< n { e[j] /= sum }
                count = n
            }
            return (p, p.map { $0 > 0 ? log($0) : 0 })
        }
        let scale = Double(weight) / Double(anchors)
        let a = y.gatherRows(0 ..< anchors)
        // Each anchor's row on its own (rows run concurrently): KL(p_i ‖ q_i^m) and its coefficients.
        let cross = SimilarityLoss(sizes: sizes).crossSimilarities(a, y) { s, i, cosine, coefficients in
            let scale = scale * Double(sizeWeights?[s] ?? 1)
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { e in
                let sum = softmaxNumerators(count: n, excluding: i, logit: { Double(cosine[$0]) / tau }, into: e)
                let (p, logP) = teacher[i]
                var total = 0.0
                for j in 0 ..< n where j != i {
                    let q = e[j] / sum
                    if p[j] > 0 { total += scale * p[j] * (logP[j] - log(max(q, 1e-300))) }
                    coefficients[j] = Float(scale * (q - p[j]) / tau)
                }
                return total
            }
        }
        var gradient = cross.gradient.documents
        gradient.addRows(cross.gradient.queries, at: 0)
        return LossAndGradient(value: cross.value, gradient: gradient)
    }
}

/// The numerators of a numerically stable softmax over `j ≠ excluded` of `logit(j)`, `j < count`:
/// `e_j = exp(logit(j) − max_j' logit(j'))` (0 at `excluded`) written into `e`, and their sum returned, so that
/// `softmax_j = e_j / Σ`.
@inline(__always)
func softmaxNumerators(count: Int, excluding excluded: Int, logit: (Int) -> Double,
                       into e: UnsafeMutableBufferPointer<Double>) -> Double {
    var top = -Double.infinity
    for j in 0 ..< count where j != excluded { top = max(top, logit(j)) }
    var sum = 0.0
    for j in 0 ..< count {
        e[j] = j == excluded ? 0 : exp(logit(j) - top)
        sum += e[j]
    }
    return sum
}
