import AdaptorNN
import EmbeddingMath

/// One training step shared by every trainer: the batch of corpus rows (anchors and their neighbours), the forward
/// pass, the similarity-preservation objective and the backward pass, with the per-run state they need (targets,
/// neighbours, the inputs cached when the front map is frozen). Trainers add their own terms through `extraLoss`.
final class TrainingStep {
    var objective: UnsupervisedObjective
    /// `x̃` of every corpus row.
    let preprocessed: Matrix
    /// `z = P x̃` of every corpus row when `P` is frozen (nil when it is trained).
    let frozenRotated: Matrix?
    private var scratch: [Int32]
    /// Rows of the most recent training batch (anchors and neighbours).
    private(set) var lastBatchRows = 0
    /// Whether only the front map trains (`--form rotation`): the MLP's output stays zero, so its passes are skipped.
    let frontMapOnly: Bool

    /// - Parameter neighbourCount: neighbours per item used by `L_topk` (default: the configuration's `k`;
    ///   0 turns the term off). `neighbours` has `k` entries per item either way.
    init(adaptor: MatryoshkaAdaptor, corpus: Matrix, neighbours: [Int32], configuration: UnsupervisedConfiguration,
         sizes: MatryoshkaSizes, neighbourCount: Int? = nil) {
        let preprocessed = adaptor.preprocess(corpus)
        // Targets live in the adaptor's geometry: the normalised inputs, re-normalised after centring.
        objective = UnsupervisedObjective(loss: SimilarityLoss(sizes: sizes), reduction: configuration.reduction,
                                          alpha: configuration.alpha, beta: configuration.beta,
                                          normalisedCorpus: adaptor.mean == nil ? preprocessed : preprocessed.normalizedRows(),
                                          neighbours: neighbours,
                                          k: configuration.neighbours, used: neighbourCount ?? configuration.neighbours,
                                          distillation: configuration.objective == .distill
                                              ? DistillationLoss(sizes: sizes, temperature: configuration.distillationTemperature) : nil)
        self.preprocessed = preprocessed
        frozenRotated = adaptor.configuration.trainRotation ? nil : adaptor.rotate(preprocessed)
        frontMapOnly = configuration.form == .rotation
        scratch = [Int32](repeating: -1, count: corpus.rows)
    }

    /// The MLP input `z` for corpus rows, and `x̃` when the front map is trained.
    func inputs(_ adaptor: MatryoshkaAdaptor, rows: [Int]) -> (rotated: Matrix, preprocessed: Matrix?) {
        if let frozenRotated { return (frozenRotated.gatherRows(rows), nil) }
        let x = preprocessed.gatherRows(rows)
        return (adaptor.rotate(x), x)
    }

    /// Loss terms and gradient of one batch.
    func step(_ adaptor: MatryoshkaAdaptor, anchors: [Int]) -> (LossTerms, AdaptorParameters) {
        step(adaptor, batch: makeBatch(anchors: anchors), extraLoss: nil)
    }

    /// The batch of `anchors` (item rows) and their neighbours.
    func makeBatch(anchors: [Int]) -> UnsupervisedBatch {
        objective.batch(anchors: anchors, scratch: &scratch)
    }

    /// Loss terms and gradient of `batch`; `extraLoss` may add terms on the same forward pass (returning
    /// its terms and adding its gradient into the output gradient).
    func step(_ adaptor: MatryoshkaAdaptor, batch: UnsupervisedBatch,
              extraLoss: ((AdaptorForward, inout Matrix) -> LossTerms)?) -> (LossTerms, AdaptorParameters) {
        lastBatchRows = batch.corpusRows.count
        let (z, x) = inputs(adaptor, rows: batch.corpusRows)
        let forward = frontMapOnly ? adaptor.frontMapForward(rotated: z) : adaptor.forward(rotated: z)
        var (terms, outputGradient, residualGradient) = objective.evaluate(forward, batch)
        if let extraLoss {
            let extra = extraLoss(forward, &outputGradient)
            terms = LossTerms(terms: terms.terms + extra.terms, total: terms.total + extra.total)
        }
        if frontMapOnly, let x { return (terms, adaptor.frontMapBackward(outputGradient: outputGradient, preprocessed: x)) }
        let gradient = adaptor.backward(forward, outputGradient: outputGradient, residualGradient: residualGradient,
                                        preprocessed: x)
        return (terms, gradient)
    }

    /// Fixed validation batches of `batchSize` held-out anchors (one smaller batch when there are fewer).
    func validationBatches(rows: [Int], batchSize: Int) -> [UnsupervisedBatch] {
        let chunks = max(1, rows.count / batchSize)
        let size = rows.count / chunks
        return (0 ..< chunks).map { c in objective.batch(anchors: Array(rows[c * size ..< (c + 1) * size]), scratch: &scratch) }
    }

    /// The mean objective over the validation batches.
    func validationLoss(_ adaptor: MatryoshkaAdaptor, batches: [UnsupervisedBatch]) -> Double {
        batches.reduce(0.0) { sum, batch in
            let forward = adaptor.forward(rotated: inputs(adaptor, rows: batch.corpusRows).rotated)
            return sum + objective.evaluate(forward, batch).0.total
        } / Double(batches.count)
    }
}
