import EmbeddingMath

/// Adam on the orthogonal group: trains a `d × d` matrix `P` that stays orthogonal (`P Pᵀ = I`), so that
/// `z = P x` keeps every inner product, and so every full-dimension cosine, exactly.
///
/// With `G = ∂L/∂P` the Euclidean gradient, the Riemannian gradient in the Lie algebra (the skew-symmetric
/// matrices, acting on the left: `P(t) = exp(−tΩ) P`) is
///
/// `Ω = G Pᵀ − P Gᵀ`,  with  `d/dt L(exp(−tΩ) P)|₀ = −½ ‖Ω‖²_F`,
///
/// so `−Ω` is a descent direction. Adam's moments are kept on `Ω` in that fixed frame, element by element (a
/// skew matrix's first moment stays skew and its second moment symmetric, so the step `Δ = lr · m̂ / (√v̂ + ε)` is
/// skew). The update is `P ← (I − Δ) P`, re-orthogonalised by Newton–Schulz iterations
/// `P ← 3/2 P − 1/2 (P Pᵀ) P` until `max |P Pᵀ − I| ≤ tolerance` (one or two: `(I − Δ) P` is orthogonal to
/// second order in `Δ`). Every operation is a matrix product or an element-wise loop: deterministic for any
/// thread count.
public struct OrthogonalAdam {
    /// Largest `|P Pᵀ − I|` element left after re-orthogonalisation.
    public var tolerance: Float = 2e-6
    /// ``Adam`` on `Ω`, applied to a zero matrix: its update of zero is `−Δ`.
    private var adam: Adam<Matrix>

    /// An optimiser for a `dimension × dimension` orthogonal matrix.
    public init(learningRate: Float, dimension: Int) {
        adam = Adam(learningRate: learningRate, zeros: Matrix(rows: dimension, columns: dimension), paths: [\Matrix.storage])
    }

    /// Steps taken.
    public var step: Int { adam.step }

    /// The Riemannian gradient `Ω = G Pᵀ − P Gᵀ` (`d × d`, skew-symmetric) of a loss with Euclidean gradient `G` at `P`.
    public static func liftedGradient(_ gradient: Matrix, at p: Matrix) -> Matrix {
        precondition(gradient.rows == p.rows && gradient.columns == p.columns && p.rows == p.columns,
                     "OrthogonalAdam: gradient \(gradient.rows) × \(gradient.columns) for a \(p.rows) × \(p.columns) matrix")
        let a = BLAS.matmul(gradient, p, transposeB: true)
        let d = p.rows
        var omega = Matrix(rows: d, columns: d)
        for i in 0 ..< d {
            for j in 0 ..< d { omega.storage[i * d + j] = a.storage[i * d + j] - a.storage[j * d + i] }
        }
        return omega
    }

    /// `P ← 3/2 P − 1/2 (P Pᵀ) P` until `max |P Pᵀ − I| ≤ tolerance` (at most `maxIterations`): the nearest
    /// orthogonal matrix to a `P` whose singular values are near 1.
    public static func orthogonalise(_ p: inout Matrix, tolerance: Float, maxIterations: Int = 8) {
        let d = p.rows
        for _ in 0 ..< maxIterations {
            let gram = BLAS.matmul(p, p, transposeB: true)
            var worst: Float = 0
            for i in 0 ..< d {
                for j in 0 ..< d { worst = max(worst, abs(gram.storage[i * d + j] - (i == j ? 1 : 0))) }
            }
            if worst <= tolerance { return }
            var next = p
            BLAS.gemm(gram, p, alpha: -0.5, beta: 1.5, into: &next)
            p = next
        }
    }

    /// One update of the orthogonal `p` along the Euclidean gradient `gradient` (same shape).
    public mutating func update(_ p: inout Matrix, along gradient: Matrix) {
        var minusDelta = Matrix(rows: p.rows, columns: p.columns)
        adam.update(&minusDelta, along: Self.liftedGradient(gradient, at: p))
        // P ← P − Δ P, then back onto the orthogonal group.
        var next = p
        BLAS.gemm(minusDelta, p, alpha: 1, beta: 1, into: &next)
        p = next
        Self.orthogonalise(&p, tolerance: tolerance)
    }
}
