import AdaptorNN
import EmbeddingMath

/// One unsupervised minibatch: anchors first, then the neighbours not already present.
struct UnsupervisedBatch {
    /// Corpus row of each batch row.
    var corpusRows: [Int]
    /// The first `anchorCount` batch rows are the anchors.
    var anchorCount: Int
    /// `(anchor row, neighbour row)` pairs of `L_topk`, batch indices.
    var neighbourPairs: [(Int, Int)]
    /// Original full-dimension cosine of each neighbour pair.
    var neighbourTargets: [Float]
    /// Original full-dimension cosines among the anchors, `anchorCount × anchorCount`.
    var anchorTargets: Matrix
}

/// The unsupervised Matryoshka-Adaptor objective `L_topk + α L_pair + β L_rec` (Eq. 1-4), each term summed
/// over the sizes `M`, targets from the original normalised vectors.
struct UnsupervisedObjective {
    let loss: SimilarityLoss
    let reduction: Reduction
    let alpha: Float
    let beta: Float
    /// Original vectors, L2-normalised, `N × d` (the targets' source).
    let normalisedCorpus: Matrix
    /// `N × k` neighbour indices.
    let neighbours: [Int32]
    let k: Int
    /// How many of each item's `k` neighbours enter `L_topk` (`k`, or 0 to switch the term off).
    let used: Int
    /// The listwise alternative to `L_topk + α L_pair`, when chosen.
    var distillation: DistillationLoss? = nil
    /// With `distill`: the preservation term `λ L_keep`, an L1 loss on the (anchor, neighbour) cosines at the sizes
    /// the untrained adaptor already reproduces (`Preservation`); nil: off.
    var preservation: Preservation? = nil

    /// Assembles the batch of `anchors` and their neighbours.
    func batch(anchors: [Int], scratch: inout [Int32]) -> UnsupervisedBatch {
        var rows = anchors
        for (r, a) in anchors.enumerated() { scratch[a] = Int32(r) }
        var pairs: [(Int, Int)] = []
        pairs.reserveCapacity(anchors.count * used)
        for (r, a) in anchors.enumerated() {
            for n in neighbours[a * k ..< a * k + used] {
                var row = Int(scratch[Int(n)])
                if row < 0 {
                    row = rows.count
                    scratch[Int(n)] = Int32(row)
                    rows.append(Int(n))
                }
                pairs.append((r, row))
            }
        }
        for c in rows { scratch[c] = -1 }
        let targets = normalisedCorpus.storage.withUnsafeBufferPointer { x in
            pairs.map { pair in
                Kernels.dot(x.baseAddress! + rows[pair.0] * normalisedCorpus.columns,
                            x.baseAddress! + rows[pair.1] * normalisedCorpus.columns, count: normalisedCorpus.columns)
            }
        }
        let anchorVectors = normalisedCorpus.gatherRows(anchors)
        return UnsupervisedBatch(corpusRows: rows, anchorCount: anchors.count, neighbourPairs: pairs,
                                 neighbourTargets: targets,
                                 anchorTargets: BLAS.matmul(anchorVectors, anchorVectors, transposeB: true))
    }

    /// The objective on a forward pass of `batch`, with `∂L/∂x̂` and `∂L/∂f`.
    func evaluate(_ forward: AdaptorForward, _ batch: UnsupervisedBatch) -> (LossTerms, Matrix, Matrix) {
        if let distillation { return evaluateDistillation(forward, batch, distillation) }
        let y = forward.output
        var gradient = Matrix(rows: y.rows, columns: y.columns)
        let (topk, pair) = similarityTerms(y, pairs: batch.neighbourPairs, targets: batch.neighbourTargets,
                                           anchorCount: batch.anchorCount, anchorTargets: batch.anchorTargets,
                                           gradient: &gradient)
        let (rec, recGradient) = reconstruction(forward.residual)
        let total = topk + Double(alpha) * pair + Double(beta) * rec
        // Terms that are switched off (Search-Adaptor uses only the recovery term) are not reported.
        var terms: [(name: String, value: Double)] = []
        if used > 0 { terms.append(("topk", topk)) }
        if alpha != 0 { terms.append(("pair", pair)) }
        terms.append(("rec", rec))
        return (LossTerms(terms: terms, total: total), gradient, recGradient)
    }

    /// `L_topk` over `pairs` of rows of `y` (original cosines `targets`) and `L_pair` over its first
    /// `anchorCount` rows (`anchorTargets`), each weighted by the reduction; adds `∂(L_topk + α L_pair)/∂y`
    /// into `gradient` (`y`'s shape).
    func similarityTerms(_ y: Matrix, pairs: [(Int, Int)], targets: [Float], anchorCount a: Int, anchorTargets: Matrix,
                         gradient: inout Matrix) -> (topk: Double, pair: Double) {
        let topkWeight: Float = reduction == .sum ? 1 : 1 / Float(max(pairs.count, 1))
        let topk = loss.pairList(outputs: y, pairs: pairs, targets: targets, weight: topkWeight, gradient: &gradient)
        guard alpha != 0 else { return (topk, 0) }
        let pairWeight: Float = reduction == .sum ? 1 : 1 / Float(max(a * (a - 1), 1))
        var anchorGradient = Matrix(rows: a, columns: y.columns)
        let pair = loss.allPairs(outputs: y.gatherRows(0 ..< a), targets: anchorTargets, weight: pairWeight,
                                 gradient: &anchorGradient)
        gradient.addRows(anchorGradient, at: 0, scale: alpha)
        return (topk, pair)
    }

    /// `L_rec` of a batch's residual `f` (`n × d`) weighted by the reduction (`1/d` for sums, `1/(n d)` for
    /// means): its value without `β`, and `∂(β L_rec)/∂f`.
    func reconstruction(_ residual: Matrix) -> (value: Double, gradient: Matrix) {
        let n = residual.rows, d = residual.columns
        let weight: Float = reduction == .sum ? 1 / Float(d) : 1 / Float(n * d)
        let rec = ReconstructionLoss()(residual: residual, weight: beta * weight)
        return (beta == 0 ? 0 : rec.value / Double(beta), rec.gradient)
    }
}

extension UnsupervisedObjective {
    /// `L_dist + β L_rec` (the `distill` objective): anchors against every batch row, reconstruction as a mean.
    func evaluateDistillation(_ forward: AdaptorForward, _ batch: UnsupervisedBatch,
                              _ distillation: DistillationLoss) -> (LossTerms, Matrix, Matrix) {
        let y = forward.output
        let n = y.rows, d = y.columns
        let anchors = normalisedCorpus.gatherRows(batch.corpusRows.prefix(batch.anchorCount))
        let targets = BLAS.matmul(anchors, normalisedCorpus.gatherRows(batch.corpusRows), transposeB: true)
        let distilled = distillation(outputs: y, anchors: batch.anchorCount, targets: targets)
        var gradient = distilled.gradient
        var terms = [(name: "dist", value: distilled.value)]
        var total = distilled.value
        if let preservation {
            let keep = preservation.loss.pairList(outputs: y, pairs: batch.neighbourPairs, targets: batch.neighbourTargets,
                                                  weight: preservation.weight / Float(max(batch.neighbourPairs.count, 1)),
                                                  gradient: &gradient)
            terms.append(("keep", keep / Double(preservation.weight)))
            total += keep
        }
        let rec = ReconstructionLoss()(residual: forward.residual, weight: beta / Float(n * d))
        terms.append(("rec", beta == 0 ? 0 : rec.value / Double(beta)))
        return (LossTerms(terms: terms, total: total + rec.value), gradient, rec.gradient)
    }
}

/// The preservation term of the `distill` objective:
/// `λ L_keep = λ · (1/|P|) Σ_{m ∈ K} Σ_{(i,j) ∈ P} |t_ij − sim_m(ŷ_i, ŷ_j)|`, over the batch's (anchor, neighbour)
/// pairs `P` (original full-dimension cosines `t_ij`) and the sizes `K` whose held-out fidelity the untrained adaptor
/// already has to within the headroom floor (always including `d`).
///
/// Why L1: the distillation KL is at its minimum where a size already reproduces the full ranking, so it charges a
/// small change of those cosines only to second order, while the gain at small sizes is first order; an L1 term
/// charges it to first order, as the paper's `L_topk` does.
struct Preservation {
    /// `sim_m` over the sizes `K`.
    let loss: SimilarityLoss
    /// `λ`.
    let weight: Float
}
