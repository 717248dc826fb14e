import EmbeddingMath

/// The Matryoshka similarity-preservation loss summed over the sizes `M` (Eq. 1-2 of arXiv 2407.20243):
///
/// `L = Σ_{m ∈ M} Σ_{(i,j)} w · | t_ij - sim_m(ŷ_i, ŷ_j) |`, with `sim_m(a, b) = ⟨a[:m], b[:m]⟩ / (‖a[:m]‖ ‖b[:m]‖)`
///
/// where `t_ij` is the similarity of the **original full** vectors and `ŷ` the adapted ones. The prefix
/// re-normalisation is inside the gradient:
/// `∂sim_m/∂a[:m] = b[:m]/(‖a[:m]‖‖b[:m]‖) - sim_m · a[:m]/‖a[:m]‖²`. Where `sim_m = t` exactly, the
/// subgradient 0 is used; a pair with a zero prefix contributes neither loss nor gradient at that size.
public struct SimilarityLoss: Sendable {
    /// The sizes `M`.
    public let sizes: MatryoshkaSizes

    /// A loss over `sizes`.
    public init(sizes: MatryoshkaSizes) {
        self.sizes = sizes
    }

    /// The loss over **all ordered pairs** `i ≠ j` of the rows of `outputs` (the pairwise term, `L_pair`),
    /// accumulating `∂L/∂outputs` into `gradient`.
    ///
    /// Computed with one `sgemm` per segment for the prefix dot products and one per segment for the
    /// gradient: `∂Y[:, seg q] = (Σ_{s≥q} U_s) Y[:, seg q] - diag(Σ_{s≥q} v_s) Y[:, seg q]`.
    ///
    /// - Parameters:
    ///   - outputs: adapted vectors `ŷ`, `n × d`.
    ///   - targets: `t`, `n × n` (symmetric; the diagonal is ignored).
    ///   - weight: `w`, the same for every pair (e.g. 1 for a sum, `1/(n(n-1))` for a mean).
    ///   - gradient: `n × d`, added to.
    /// - Returns: the loss.
    public func allPairs(outputs y: Matrix, targets: Matrix, weight: Float, gradient: inout Matrix) -> Double {
        let n = y.rows, d = y.columns
        precondition(targets.rows == n && targets.columns == n, "targets must be \(n) × \(n)")
        precondition(gradient.rows == n && gradient.columns == d, "gradient must be \(n) × \(d)")
        guard n > 1 else { return 0 }
        let segments = (0 ..< sizes.count).map(sizes.segment)
        // Prefix Gram matrices D_s = Σ_{q ≤ s} Y_q Y_qᵀ.
        var prefixGram: [Matrix] = []
        var running = Matrix(rows: n, columns: n)
        for segment in segments {
            let yq = y.columns(segment)
            BLAS.gemm(yq, yq, transposeB: true, beta: 1, into: &running)
            prefixGram.append(running)
        }
        var loss = 0.0
        // Walk sizes from the largest down, accumulating U and v (the coefficients of segment q are the
        // sums over s ≥ q), and emit each segment's gradient as soon as its coefficients are complete.
        var u = Matrix(rows: n, columns: n)
        var v = [Float](repeating: 0, count: n)
        for s in stride(from: sizes.count - 1, through: 0, by: -1) {
            let gram = prefixGram[s]
            gram.storage.withUnsafeBufferPointer { g in
                targets.storage.withUnsafeBufferPointer { t in
                    u.storage.withUnsafeMutableBufferPointer { pu in
                        for i in 0 ..< n {
                            let normI = g[i * n + i].squareRoot()
                            guard normI > 0 else { continue }
                            for j in 0 ..< n where j != i {
                                let normJ = g[j * n + j].squareRoot()
                                guard normJ > 0 else { continue }
                                let similarity = g[i * n + j] / (normI * normJ)
                                let difference = similarity - t[i * n + j]
                                loss += Double(weight) * Double(abs(difference))
                                let sign: Float = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
                                // Both ordered pairs (i, j) and (j, i) depend on ŷ_i in the same way.
                                let k = 2 * weight * sign
                                pu[i * n + j] += k / (normI * normJ)
                                v[i] += k * similarity / (normI * normI)
                            }
                        }
                    }
                }
            }
            let segment = segments[s]
            let yq = y.columns(segment)
            var dq = BLAS.matmul(u, yq)
            dq.subtractRowScaled(yq, by: v)
            gradient.addColumns(dq, at: segment.lowerBound)
        }
        return loss
    }

    /// The loss over an explicit list of pairs (the top-k term, `L_topk`), accumulating `∂L/∂outputs`.
    ///
    /// - Parameters:
    ///   - outputs: adapted vectors `ŷ`, `n × d`.
    ///   - pairs: `(i, j)` row indices into `outputs`.
    ///   - targets: `t_ij` for each pair.
    ///   - weight: `w` for every pair.
    ///   - gradient: `n × d`, added to.
    /// - Returns: the loss.
    public func pairList(outputs y: Matrix, pairs: [(Int, Int)], targets: [Float], weight: Float,
                         gradient: inout Matrix) -> Double {
        precondition(pairs.count == targets.count, "\(pairs.count) pairs but \(targets.count) targets")
        let d = y.columns, sizeCount = sizes.count
        let squaredNorms = prefixSquaredNorms(y)
        var loss = 0.0
        var dots = [Float](repeating: 0, count: sizeCount)
        var a = [Float](repeating: 0, count: sizeCount)
        var bi = [Float](repeating: 0, count: sizeCount)
        var bj = [Float](repeating: 0, count: sizeCount)
        y.storage.withUnsafeBufferPointer { py in
            gradient.storage.withUnsafeMutableBufferPointer { pg in
                for (p, (i, j)) in pairs.enumerated() {
                    let rowI = py.baseAddress! + i * d, rowJ = py.baseAddress! + j * d
                    var running: Float = 0
                    for s in 0 ..< sizeCount {
                        let segment = sizes.segment(s)
                        running += Kernels.dot(rowI + segment.lowerBound, rowJ + segment.lowerBound, count: segment.count)
                        dots[s] = running
                    }
                    // Coefficients summed from the largest size down: a_q = Σ_{s≥q} g_s/(‖y_i‖‖y_j‖), etc.
                    var sumA: Float = 0, sumBI: Float = 0, sumBJ: Float = 0
                    for s in stride(from: sizeCount - 1, through: 0, by: -1) {
                        let nI = squaredNorms[i * sizeCount + s].squareRoot()
                        let nJ = squaredNorms[j * sizeCount + s].squareRoot()
                        if nI > 0, nJ > 0 {
                            let similarity = dots[s] / (nI * nJ)
                            let difference = similarity - targets[p]
                            loss += Double(weight) * Double(abs(difference))
                            let g = weight * (difference > 0 ? 1 : (difference < 0 ? -1 : 0))
                            sumA += g / (nI * nJ)
                            sumBI += g * similarity / (nI * nI)
                            sumBJ += g * similarity / (nJ * nJ)
                        }
                        a[s] = sumA
                        bi[s] = sumBI
                        bj[s] = sumBJ
                    }
                    let gradI = pg.baseAddress! + i * d, gradJ = pg.baseAddress! + j * d
                    for s in 0 ..< sizeCount where a[s] != 0 || bi[s] != 0 || bj[s] != 0 {
                        for c in sizes.segment(s) {
                            let yi = rowI[c], yj = rowJ[c]
                            gradI[c] += a[s] * yj - bi[s] * yi
                            gradJ[c] += a[s] * yi - bj[s] * yj
                        }
                    }
                }
            }
        }
        return loss
    }

    /// `‖y_i[:m_s]‖²` for every row and size, `n × |M|` row-major.
    func prefixSquaredNorms(_ y: Matrix) -> [Float] {
        let d = y.columns, sizeCount = sizes.count
        var out = [Float](repeating: 0, count: y.rows * sizeCount)
        y.storage.withUnsafeBufferPointer { py in
            for i in 0 ..< y.rows {
                let row = py.baseAddress! + i * d
                var running: Float = 0
                for s in 0 ..< sizeCount {
                    let segment = sizes.segment(s)
                    running += Kernels.dot(row + segment.lowerBound, row + segment.lowerBound, count: segment.count)
                    out[i * sizeCount + s] = running
                }
            }
        }
        return out
    }
}

/// The reconstruction term (Eq. 3): `L_rec = w Σ_i ‖f(x_i)‖₁`, the L1 norm of the residual, with
/// subgradient `∂L/∂f = w · sign(f)`.
///
/// - Parameters:
///   - residual: `f(x)`, `n × d`.
///   - weight: `w` (e.g. `1/d` for the sum form, `1/(n d)` for the mean).
/// - Returns: the loss and `∂L/∂f` (`n × d`).
public func reconstructionLoss(residual: Matrix, weight: Float) -> (loss: Double, gradient: Matrix) {
    var gradient = Matrix(rows: residual.rows, columns: residual.columns)
    let total = residual.storage.withUnsafeBufferPointer { r in
        gradient.storage.withUnsafeMutableBufferPointer { g in
            Kernels.l1AndSign(r.baseAddress!, gradient: g.baseAddress!, count: r.count, weight: weight)
        }
    }
    return (total * Double(weight), gradient)
}
