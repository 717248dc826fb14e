import EmbeddingMath
import Foundation

/// The supervised ranking loss (Eq. 5 of arXiv 2407.20243), summed over the sizes `M`:
///
/// `L_rank = Σ_{m ∈ M} (1/T) Σ_{(i,j,k): y_ij > y_ik} (y_ij - y_ik) · log(1 + exp(s_ik[:m] - s_ij[:m]))`
///
/// with `s_ij[:m] = sim_m(q̂_i, ĉ_j)` and `T` the number of triples. Candidates `k` for query `i` are all
/// documents given (judged, in-batch and random negatives); unjudged documents have grade 0. The gradient
/// through the softplus is `∂/∂s_ik = (y_ij - y_ik) σ(s_ik - s_ij) / T = -∂/∂s_ij`, then through the
/// re-normalised prefixes as in ``SimilarityLoss/crossSimilarities(_:_:lossAtRow:)``. With a single size `d`
/// it is Search-Adaptor's full-dimension ranking loss.
public struct RankingLoss: Sendable {
    /// The sizes `M`.
    public let sizes: MatryoshkaSizes

    /// A ranking loss over `sizes`.
    public init(sizes: MatryoshkaSizes) {
        self.sizes = sizes
    }

    /// The loss and its gradients for queries against candidate documents.
    ///
    /// - Parameters:
    ///   - queries: adapted queries `q̂`, `p × d`.
    ///   - documents: adapted candidate documents `ĉ`, `r × d`.
    ///   - grades: `p × r` relevance grades `y` (0 for unjudged; only differences matter).
    ///   - weight: a factor on the whole term (e.g. `γ`).
    /// - Returns: the loss (weighted) with `∂L/∂queries` and `∂L/∂documents`.
    public func callAsFunction(queries: Matrix, documents: Matrix, grades: Matrix, weight: Float = 1)
        -> LossAndGradient<QueryDocumentGradient>
    {
        let p = queries.rows, r = documents.rows
        precondition(grades.rows == p && grades.columns == r, "grades must be \(p) × \(r)")
        // The triples: for each query, each document with a positive grade against every lower-graded one.
        var triples = 0
        grades.storage.withUnsafeBufferPointer { y in
            for i in 0 ..< p {
                for j in 0 ..< r where y[i * r + j] > 0 {
                    for k in 0 ..< r where y[i * r + k] < y[i * r + j] { triples += 1 }
                }
            }
        }
        guard triples > 0 else {
            return LossAndGradient(value: 0, gradient: QueryDocumentGradient(queries: Matrix(rows: p, columns: queries.columns),
                                                                           documents: Matrix(rows: r, columns: documents.columns)))
        }
        let scale = weight / Float(triples)
        return grades.storage.withUnsafeBufferPointer { y in
            SimilarityLoss(sizes: sizes).crossSimilarities(queries, documents) { _, i, sim, k in
                var total = 0.0
                let row = i * r
                for j in 0 ..< r where y[row + j] > 0 {
                    for c in 0 ..< r where y[row + c] < y[row + j] {
                        let gap = y[row + j] - y[row + c]
                        let x = sim[c] - sim[j]
                        total += Double(scale * gap) * softplus(Double(x))
                        let g = scale * gap / (1 + exp(-x))
                        k[c] += g
                        k[j] -= g
                    }
                }
                return total
            }
        }
    }
}

/// `log(1 + eˣ)`, stable for large `|x|`.
@inline(__always) func softplus(_ x: Double) -> Double {
    max(x, 0) + log1p(exp(-abs(x)))
}
