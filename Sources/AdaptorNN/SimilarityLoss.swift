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
    /// - Parameters:
    ///   - y: the outputs, adapted vectors `ŷ`, `n × d`.
    ///   - targets: `t`, `n × n` (symmetric; the diagonal is ignored).
    ///   - weight: `w`, the same for every pair (e.g. 1 for a sum, `1/(n(n-1))` for a mean).
    ///   - gradient: `n × d`, added to.
    /// - Returns: the loss.
    public func allPairs(outputs y: Matrix, targets: Matrix, weight: Float, gradient: inout Matrix) -> Double {
        let n = y.rows
        precondition(targets.rows == n && targets.columns == n, "targets must be \(n) × \(n)")
        precondition(gradient.rows == n && gradient.columns == y.columns, "gradient must be \(n) × \(y.columns)")
        guard n > 1 else { return 0 }
        let cross = targets.storage.withUnsafeBufferPointer { t in
            crossSimilarities(y, y) { _, i, cosine, coefficients in
                var loss = 0.0
                for j in 0 ..< n where j != i {
                    let difference = cosine[j] - t[i * n + j]
                    loss += Double(weight) * Double(abs(difference))
                    coefficients[j] = difference > 0 ? weight : (difference < 0 ? -weight : 0)
                }
                return loss
            }
        }
        // ŷ appears on both sides of each cosine: its gradient is the sum of both sides' gradients.
        gradient.addRows(cross.gradient.queries, at: 0)
        gradient.addRows(cross.gradient.documents, at: 0)
        return cross.value
    }

    /// A loss on the prefix cosines between two sets of rows at every size, and its gradients.
    ///
    /// For each size `m_s` (largest first), each row `C_s[i, :]` of `C_s[i, j] = sim_{m_s}(a_i, b_j)` (0 where a
    /// prefix is zero) is handed to `lossAtRow`, which returns row `i`'s loss at that size and writes
    /// `K_s[i, :] = ∂L/∂C_s[i, :]` into its fourth argument (zeroed before each call). The chain rule through the
    /// re-normalised prefixes is then done with one `sgemm` per segment for the Gram matrices and one per segment
    /// and side for the gradients:
    /// `∂A[:, seg q] = (Σ_{s≥q} U_s) B_q - diag(Σ_{s≥q} u_s) A_q`, `U_s = K_s ⊘ (‖a‖ ‖b‖ᵀ)`,
    /// `u_s[i] = Σ_j K_s[i,j] C_s[i,j] / ‖a_i‖²`, and symmetrically for `B`.
    ///
    /// The element-wise work (cosines, `lossAtRow`, `U` and `u`) runs on the ``/EmbeddingMath/Parallelism`` workers in jobs of
    /// rows (and of columns for `B`'s side) fixed by the shapes, each sum in the same order as one thread's, so the
    /// gradients are bit-identical for any thread count. `lossAtRow` is therefore called concurrently for
    /// different rows: it may only read shared state and write its row.
    ///
    /// - Parameters:
    ///   - a: `p × d` rows.
    ///   - b: `r × d` rows.
    ///   - lossAtRow: `(size index s, row i, C_s[i, :], K_s[i, :]) -> loss of row i at size s`.
    /// - Returns: the summed loss with `∂L/∂a` (`p × d`, as the queries) and `∂L/∂b` (`r × d`, as the documents).
    public func crossSimilarities(
        _ a: Matrix, _ b: Matrix,
        lossAtRow: (_ size: Int, _ row: Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Double
    ) -> LossAndGradient<QueryDocumentGradient> {
        let p = a.rows, r = b.rows, d = a.columns
        precondition(b.columns == d, "Both sides need dimension \(d)")
        let segments = (0 ..< sizes.count).map(sizes.segment)
        let aSegments = segments.map { a.columns($0) }
        let bSegments = segments.map { b.columns($0) }
        var prefixGram: [Matrix] = []
        var running = Matrix(rows: p, columns: r)
        for s in segments.indices {
            BLAS.gemm(aSegments[s], bSegments[s], transposeB: true, beta: 1, into: &running)
            prefixGram.append(running)
        }
        let aNorms = prefixSquaredNorms(a), bNorms = prefixSquaredNorms(b)
        let count = sizes.count
        var loss = 0.0
        var gradientA = Matrix(rows: p, columns: d), gradientB = Matrix(rows: r, columns: d)
        // Scratch shared by the workers, each job writing its own rows (or columns, for `uB`).
        let u = UnsafeMutableBufferPointer<Float>.allocate(capacity: p * r)
        let cosine = UnsafeMutableBufferPointer<Float>.allocate(capacity: p * r)
        let coefficients = UnsafeMutableBufferPointer<Float>.allocate(capacity: p * r)
        let uA = UnsafeMutableBufferPointer<Float>.allocate(capacity: p)
        let uB = UnsafeMutableBufferPointer<Float>.allocate(capacity: r)
        let rowLoss = UnsafeMutableBufferPointer<Double>.allocate(capacity: p)
        for buffer in [u, uA, uB] { buffer.initialize(repeating: 0) }
        defer { for buffer in [u, cosine, coefficients, uA, uB] { buffer.deallocate() }; rowLoss.deallocate() }
        // Jobs of whole rows (and of columns for B's side) of about `jobElements` elements, fixed by the shapes.
        let jobElements = 8192
        let rowsPerJob = max(1, jobElements / max(r, 1)), columnsPerJob = max(64, jobElements / max(p, 1))
        for s in stride(from: count - 1, through: 0, by: -1) {
            let inverseA = (0 ..< p).map { i -> Float in let n = aNorms[i * count + s]; return n > 0 ? 1 / n.squareRoot() : 0 }
            let inverseB = (0 ..< r).map { j -> Float in let n = bNorms[j * count + s]; return n > 0 ? 1 / n.squareRoot() : 0 }
            prefixGram[s].storage.withUnsafeBufferPointer { g in
                let c = cosine, k = coefficients
                Parallelism.forEachRange(count: p, size: rowsPerJob) { rows, _ in
                    for i in rows {
                        let row = i * r
                        for j in 0 ..< r { c[row + j] = g[row + j] * inverseA[i] * inverseB[j] }
                        let kRow = UnsafeMutableBufferPointer(rebasing: k[row ..< row + r])
                        kRow.update(repeating: 0)
                        rowLoss[i] = lossAtRow(s, i, UnsafeBufferPointer(rebasing: c[row ..< row + r]), kRow)
                        for j in 0 ..< r where kRow[j] != 0 {
                            let kij = kRow[j]
                            u[row + j] += kij * inverseA[i] * inverseB[j]
                            uA[i] += kij * c[row + j] * inverseA[i] * inverseA[i]
                        }
                    }
                }
                // B's side sums over rows: one job per block of columns, the rows in order as on one thread.
                Parallelism.forEachRange(count: r, size: columnsPerJob) { columns, _ in
                    for i in 0 ..< p {
                        let row = i * r
                        for j in columns where k[row + j] != 0 {
                            uB[j] += k[row + j] * c[row + j] * inverseB[j] * inverseB[j]
                        }
                    }
                }
            }
            loss += rowLoss.reduce(0, +)
            let segment = segments[s]
            let uMatrix = Matrix(rows: p, columns: r, storage: Array(u))
            var da = BLAS.matmul(uMatrix, bSegments[s])
            da.subtractRowScaled(aSegments[s], by: Array(uA))
            gradientA.addColumns(da, at: segment.lowerBound)
            var db = BLAS.matmul(uMatrix, transposeA: true, aSegments[s])
            db.subtractRowScaled(bSegments[s], by: Array(uB))
            gradientB.addColumns(db, at: segment.lowerBound)
        }
        return LossAndGradient(value: loss, gradient: QueryDocumentGradient(queries: gradientA, documents: gradientB))
    }

    /// The loss over an explicit list of pairs (the top-k term, `L_topk`), accumulating `∂L/∂outputs`.
    ///
    /// - Parameters:
    ///   - y: the outputs, adapted vectors `ŷ`, `n × d`.
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
public struct ReconstructionLoss: Sendable {
    /// The term.
    public init() {}

    /// The loss of `residual` (`f(x)`, `n × d`) weighted by `weight` (`1/d` for the sum form, `1/(n d)` for the
    /// mean), and `∂L/∂f` (`n × d`).
    public func callAsFunction(residual: Matrix, weight: Float) -> LossAndGradient<Matrix> {
        var gradient = Matrix(rows: residual.rows, columns: residual.columns)
        let total = residual.storage.withUnsafeBufferPointer { r in
            gradient.storage.withUnsafeMutableBufferPointer { g in
                Kernels.l1AndSign(r.baseAddress!, gradient: g.baseAddress!, count: r.count, weight: weight)
            }
        }
        return LossAndGradient(value: total * Double(weight), gradient: gradient)
    }
}
