import AdaptorNN
import EmbeddingMath
import VectorSearch

/// The code-aware stage of `fit --precision`: an orthogonal rotation of each Matryoshka segment of the adapted
/// vectors, chosen so that the segment's codes lose as little as possible, in the manner of ITQ (Gong and
/// Lazebnik, 2011) generalised to every scalar quantiser.
///
/// The adapted unit vectors `y` (stored output order) are cut into the model's segments `[m_{s−1}, m_s)`
/// (``/AdaptorNN/MatryoshkaSizes/segment(_:)``). For each segment's columns `V` (`n × b`, centred by their mean),
/// ITQ alternates
/// - `B = Q(V R)`: the quantiser's reconstruction of the rotated coordinates (for `binary`, `sign(V R)`; for `int2`,
///   `int4`, `int8`, the decoded levels less each coordinate's centre, calibrated on `V R` itself), and
/// - `R = argmin_{RᵀR = I} ‖B − V R‖_F = M (MᵀM)^{−1/2}` with `M = Vᵀ B` (orthogonal Procrustes, by the polar
///   factor of `M`),
/// starting from `R = I`. A rotation inside each segment keeps every prefix at a segment boundary the same
/// subspace with the same inner products, so the float vectors' quality at the model's sizes is unchanged; only
/// how well the coordinates survive quantisation changes.
///
/// The rotation is folded into the model (``rotating(_:by:)``): with `G` the block-diagonal `Rᵀ` in output
/// coordinates, `P ← G P`, `W_1 ← W_1 Gᵀ`, `W_out ← G W_out`, `b_out ← G b_out`, so `x̂' = G x̂` with the same
/// architecture and cost.
public enum CodeRotation {
    /// Per-segment rotations `R_s` (`b_s × b_s`, rows act on row vectors: `v ↦ v R_s`) for the codes of
    /// `precision`.
    ///
    /// - Parameters:
    ///   - unitVectors: adapted unit vectors `y` (`n × d`, stored output order), a sample of the corpus.
    ///   - sizes: the model's sizes; each segment is rotated on its own.
    ///   - precision: the codes the rotation is for (`binary`, `int2`, `int4` or `int8`).
    ///   - iterations: ITQ's alternations (50 is ITQ's usual count).
    public static func fit(unitVectors: Matrix, sizes: MatryoshkaSizes, precision: Precision,
                           iterations: Int = 50) throws -> [Matrix] {
        precondition(precision.needsCalibration, "Rotations are fitted for int8, int4, int2 or binary codes")
        var rotations: [Matrix] = []
        for s in 0 ..< sizes.count {
            let segment = sizes.segment(s)
            var v = unitVectors.columns(segment)
            let mean = v.columnMeans()
            v.subtractFromRows(mean)
            rotations.append(try itq(v, precision: precision, iterations: iterations))
        }
        return rotations
    }

    /// ITQ on one centred block `v` (`n × b`).
    static func itq(_ v: Matrix, precision: Precision, iterations: Int) throws -> Matrix {
        let b = v.columns
        var r = Matrix(rows: b, columns: b)
        for i in 0 ..< b { r[i, i] = 1 }
        for _ in 0 ..< iterations {
            let z = BLAS.matmul(v, r)
            let target = reconstruction(z, precision: precision)
            r = try polarFactor(BLAS.matmul(v, transposeA: true, target))
        }
        return r
    }

    /// `Q(z)` less each coordinate's centre: what the codes of `z` stand for, in `z`'s units.
    static func reconstruction(_ z: Matrix, precision: Precision) -> Matrix {
        if precision == .binary { return Matrix(rows: z.rows, columns: z.columns, storage: z.storage.map { $0 > 0 ? 1 : -1 }) }
        let calibration = CodeCalibration(unitVectors: z)
        var decoded = CodeMatrix(encoding: z, dimension: z.columns, precision: precision, calibration: calibration)
            .decoded(calibration: calibration)
        decoded.subtractFromRows(calibration.centre)
        return decoded
    }

    /// The orthogonal polar factor `M (MᵀM)^{−1/2}` of a square `M` (the `U Wᵀ` of its SVD; the eigenvalues in double);
    /// directions where `M` is singular are kept as the identity would.
    static func polarFactor(_ m: Matrix) throws -> Matrix {
        let b = m.columns
        let gram = BLAS.matmul(m, transposeA: true, m).storage.map(Double.init)
        let eigen = try SymmetricEigen(symmetric: gram, dimension: b)
        // (MᵀM)^{−1/2} = Σ λ_i^{−1/2} q_i q_iᵀ over the non-negligible λ_i.
        let floor = (eigen.values.first ?? 0) * 1e-12
        var inverseRoot = Matrix(rows: b, columns: b)
        for (t, lambda) in eigen.values.enumerated() where lambda > floor {
            let scale = 1 / lambda.squareRoot()
            for i in 0 ..< b {
                for j in 0 ..< b { inverseRoot[i, j] += Float(scale * eigen.vectors[t * b + i] * eigen.vectors[t * b + j]) }
            }
        }
        return BLAS.matmul(m, inverseRoot)
    }

    /// `model` with the segment rotations folded in: its adapted vectors become `x̂' = G x̂`, `G` block-diagonal
    /// with `R_sᵀ` on segment `s` of the stored output order (through the model's permutation, when it has one).
    /// Needs a front map `P` (the default, `--rotation principal-axes`).
    public static func rotating(_ model: AdaptorModel, by rotations: [Matrix]) -> AdaptorModel {
        let d = model.outputDimension
        let order = model.permutation ?? Array(0 ..< d)
        precondition(model.adaptor.parameters.rotation != nil, "The code rotation is folded into the front map P")
        // G in output coordinates: G[π(k), π(l)] = R_sᵀ[k − a, l − a] for k, l in segment s = [a, b).
        var g = Matrix(rows: d, columns: d)
        for (s, r) in rotations.enumerated() {
            let segment = model.sizes.segment(s)
            for k in segment { for l in segment { g[order[k], order[l]] = r[l - segment.lowerBound, k - segment.lowerBound] } }
        }
        var rotated = model
        var p = model.adaptor.parameters
        p.rotation = BLAS.matmul(g, p.rotation!)
        p.hidden[0].weight = BLAS.matmul(p.hidden[0].weight, g, transposeB: true)
        p.output.weight = BLAS.matmul(g, p.output.weight)
        p.output.bias = (0 ..< d).map { i in (0 ..< d).reduce(Float(0)) { $0 + g[i, $1] * p.output.bias[$1] } }
        rotated.adaptor.parameters = p
        return rotated
    }
}

extension CodeRotation {
    /// The model the code stage keeps, and why.
    public struct Choice: Sendable {
        /// The model with the kept segment rotations folded in (the model as trained when none is kept).
        public var model: AdaptorModel
        /// Per segment, whether its rotation was kept.
        public var kept: [Bool]
        /// Held-out neighbour-recall@10 through the codes at each of the model's sizes, without and with the kept
        /// rotations.
        public var fidelity: (before: [Double], after: [Double])

        /// Whether any rotation was kept.
        public var rotated: Bool { kept.contains(true) }

        /// One line for the fit's log.
        public var summary: String {
            let sizes = model.sizes.sizes
            let pairs = sizes.indices.map {
                "m=\(sizes[$0]) \(String(format: "%.3f", fidelity.before[$0])) → \(String(format: "%.3f", fidelity.after[$0]))"
                    + (kept[$0] ? "" : " (not rotated)")
            }
            return "code stage, held-out neighbour-recall@10 through the codes: " + pairs.joined(separator: ", ")
        }
    }

    /// Fits the segment rotations for `precision` on a sample of `corpus` and keeps each where it raises held-out
    /// fidelity through the codes: the neighbour-recall@10 of held-out corpus rows (every tenth sampled row, up to
    /// `heldOut`) searched by their float vectors against the other rows' codes (``/VectorSearch/CodeScoring/asymmetric``),
    /// against their top 10 by the input vectors. Segments are decided in order, each at its own size with the
    /// earlier choices in place (the size-`m_s` codes are those of segments up to `s`). No judgement is used.
    ///
    /// - Parameters:
    ///   - model: the trained model (with a front map).
    ///   - precision: the codes to aim at.
    ///   - corpus: the corpus it was trained on.
    ///   - sampleRows: rows sampled, evenly spaced (the rotation is fitted on nine tenths of them).
    ///   - heldOut: at most this many held-out rows.
    public static func choose(for model: AdaptorModel, precision: Precision, corpus: any RowSource,
                              sampleRows: Int = 20_000, heldOut: Int = 1_000) throws -> Choice {
        let n = corpus.rowCount, take = min(n, sampleRows)
        let rows = (0 ..< take).map { $0 * n / take }
        let heldRows = rows.enumerated().filter { $0.offset % 10 == 0 }.prefix(heldOut).map(\.element)
        let held = Set(heldRows)
        let fitRows = rows.filter { !held.contains($0) }
        let raw = try corpus.gather(fitRows), rawHeld = try corpus.gather(heldRows)
        // The reference: the held-out rows' top 10 among the fitting rows by the input vectors.
        let reference = FlatIndex(vectors: raw).search(rawHeld.normalizedRows(), k: 10)
        func fidelity(_ candidate: AdaptorModel, sizes: [Int]) -> [Double] {
            var y = candidate.apply(raw), q = candidate.apply(rawHeld)
            y.normalizeRows()
            q.normalizeRows()
            let calibration = CodeCalibration(unitVectors: y)
            return sizes.map { m in
                let codes = CodeMatrix(encoding: y, dimension: m, precision: precision, calibration: calibration)
                let found = CodeIndex(codes: codes, calibration: calibration).search(unitQueries: q, k: 10)
                let hits = (0 ..< q.rows).reduce(0) { $0 + Set(found.neighbours(of: $1)).intersection(reference.neighbours(of: $1)).count }
                return Double(hits) / Double(10 * q.rows)
            }
        }
        var y = model.apply(raw)
        y.normalizeRows()
        let sizes = model.sizes.sizes
        let fitted = try fit(unitVectors: y, sizes: model.sizes, precision: precision)
        var chosen = fitted.map { r in
            var identity = Matrix(rows: r.rows, columns: r.columns)
            for i in 0 ..< r.rows { identity[i, i] = 1 }
            return identity
        }
        let before = fidelity(model, sizes: sizes)
        var kept = [Bool](repeating: false, count: sizes.count)
        var current = before
        for s in sizes.indices {
            var trial = chosen
            trial[s] = fitted[s]
            let score = fidelity(rotating(model, by: trial), sizes: [sizes[s]])[0]
            if score > current[s] {
                chosen = trial
                kept[s] = true
                current[s] = score
            }
        }
        let final = kept.contains(true) ? rotating(model, by: chosen) : model
        return Choice(model: final, kept: kept, fidelity: (before, kept.contains(true) ? fidelity(final, sizes: sizes) : before))
    }
}
