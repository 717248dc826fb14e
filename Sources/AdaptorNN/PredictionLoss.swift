import EmbeddingMath

/// Search-Adaptor's prediction term (arXiv 2310.08750): a corpus-to-query predictor `g(c) = W c + b`, used
/// only in training, should map each adapted relevant document to its adapted query:
///
/// `L_pred = (1/|R|) Σ_{(i,j) ∈ R} ‖g(ĉ_j) - q̂_i‖₁ / d`
///
/// with subgradient `e = sign(g(ĉ_j) - q̂_i) / (|R| d)`: `∂q̂_i = -e`, `∂ĉ_j = Wᵀ e`, `∂W = e ĉ_jᵀ`, `∂b = e`.
public struct PredictionLoss: Sendable {
    /// The predictor `g`, `d → d`.
    public var predictor: Linear

    /// A loss with predictor `g`.
    public init(predictor: Linear) {
        self.predictor = predictor
    }

    /// The identity predictor for dimension `d` (`W = I`, `b = 0`).
    public static func identity(dimension d: Int) -> PredictionLoss {
        var layer = Linear(inputs: d, outputs: d)
        for i in 0 ..< d { layer.weight[i, i] = 1 }
        return PredictionLoss(predictor: layer)
    }

    /// The loss over relevant pairs `(query row, document row)`, with gradients.
    ///
    /// - Returns: the weighted loss with `∂L/∂queries`, `∂L/∂documents` and `∂L/∂g` (a ``Linear`` of the same shape).
    public func callAsFunction(queries: Matrix, documents: Matrix, pairs: [(Int, Int)], weight: Float = 1)
        -> LossAndGradient<PredictionGradient>
    {
        let d = queries.columns
        var dq = Matrix(rows: queries.rows, columns: d), dd = Matrix(rows: documents.rows, columns: d)
        var dg = Linear(inputs: d, outputs: d)
        guard !pairs.isEmpty else {
            return LossAndGradient(value: 0, gradient: PredictionGradient(queries: dq, documents: dd, predictor: dg))
        }
        let predicted = predictor(documents.gatherRows(pairs.map(\.1)))
        var errors = Matrix(rows: pairs.count, columns: d)
        let scale = weight / Float(pairs.count * d)
        var loss = 0.0
        for (row, (i, _)) in pairs.enumerated() {
            for c in 0 ..< d {
                let difference = predicted[row, c] - queries[i, c]
                loss += Double(abs(difference))
                let e: Float = difference > 0 ? scale : (difference < 0 ? -scale : 0)
                errors[row, c] = e
                dq[i, c] -= e
            }
        }
        let documentErrors = BLAS.matmul(errors, predictor.weight)
        for (row, (_, j)) in pairs.enumerated() {
            for c in 0 ..< d { dd[j, c] += documentErrors[row, c] }
        }
        BLAS.gemm(errors, transposeA: true, documents.gatherRows(pairs.map(\.1)), into: &dg.weight)
        dg.bias = errors.columnSums()
        return LossAndGradient(value: loss * Double(scale), gradient: PredictionGradient(queries: dq, documents: dd, predictor: dg))
    }
}
