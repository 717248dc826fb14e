import AdaptorNN
import EmbeddingMath
import Foundation
import RetrievalEvaluation

/// Two-stage supervised Matryoshka-Adaptor training (METHOD.md, arXiv 2407.20243 §3.3).
///
/// Stage 1 is unsupervised training on the corpus (``UnsupervisedTrainer``), or a given stage-1 model.
/// Stage 2 starts from its weights and minimises `L_topk + α L_pair + β L_rec + γ L_rank`: the unsupervised
/// terms over corpus anchors **and** the batch's training queries (each with its `k` nearest documents),
/// the ranking term over each query's judged documents, in-batch documents, random documents and optional
/// hard negatives. Early stopping in stage 2 watches nDCG@10 (mean over `M`) of a held-out tenth of the
/// **training** queries; only the judgements passed in are read, so the test split never is.
public struct SupervisedTrainer {
    /// Settings.
    public var configuration: SupervisedConfiguration
    /// Architecture (for stage 1; a given stage-1 model brings its own).
    public var adaptorConfiguration: AdaptorConfiguration
    /// A stage-1 adaptor to start stage 2 from (skips stage 1), or nil.
    public var initial: MatryoshkaAdaptor?

    /// A trainer with these settings; `initial` starts stage 2 from a given stage-1 adaptor.
    public init(configuration: SupervisedConfiguration, adaptorConfiguration: AdaptorConfiguration,
                initial: MatryoshkaAdaptor? = nil) {
        self.configuration = configuration
        self.adaptorConfiguration = adaptorConfiguration
        self.initial = initial
    }

    /// Trains on `corpus` (`N × d`) and the judged training `queries`.
    ///
    /// - Parameters:
    ///   - queries: query vectors (`n × d`); `judgements[i].queryIndex` addresses its rows, grades corpus rows.
    ///   - judgements: the training split's judgements only.
    ///   - initial: a stage-1 adaptor to start stage 2 from (skips stage 1).
    func train(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery], initial: MatryoshkaAdaptor? = nil,
               log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        let config = configuration
        guard judgements.count >= 2 else { throw TrainingError.tooFewQueries(count: judgements.count, needed: 2) }
        var stages: [StageOutcome] = []
        var adaptor: MatryoshkaAdaptor
        if let initial {
            adaptor = initial
            log?("stage 1: starting from the given model")
        } else {
            let stage1 = try UnsupervisedTrainer(configuration: config.stage1, adaptorConfiguration: adaptorConfiguration)
                .train(corpus: corpus, log: log, status: status, progress: progress)
            adaptor = stage1.adaptor
            stages.append(stage1.stages[0])
        }
        let sizes = config.stage1.matryoshkaSizes(dimension: corpus.columns)
        var generator = SeededGenerator(seed: config.seed &+ 11)
        let data = SupervisedData(corpus: corpus, queries: queries, judgements: judgements, k: config.stage1.neighbours,
                                  hardNegatives: config.hardNegatives, validationFraction: config.validationFraction,
                                  generator: &generator)
        var unsupervised = config.stage1
        unsupervised.reduction = config.stage2Reduction
        let state = TrainingStep(adaptor: adaptor, corpus: data.items, neighbours: data.neighbours,
                                      configuration: unsupervised, sizes: sizes)
        let queries = AnchorSampler(pool: data.trainQueries, generator: SeededGenerator(seed: config.seed &+ 12))
        let documents = AnchorSampler(pool: Array(0 ..< data.corpusCount), generator: SeededGenerator(seed: config.seed &+ 13))
        let validation = data.validation(sizes: sizes)
        let ranking = RankingLoss(sizes: sizes)
        let loop = TrainingLoop(stage: "supervised", iterations: config.iterations, patience: config.patience,
                                validationInterval: config.validationInterval, learningRate: config.learningRate,
                                higherIsBetter: true)
        let outcome = try loop.run(
            adaptor: &adaptor,
            step: { current in
                let batchQueries = queries.next(config.queryBatchSize)
                let documentAnchors = documents.next(config.documentAnchors)
                let anchors = documentAnchors + batchQueries.map(data.itemRow(ofQuery:))
                let (candidates, grades) = data.candidates(for: batchQueries, random: config.randomNegatives,
                                                           generator: &generator)
                var batch = state.makeBatch(anchors: anchors)
                let queryRows = Array(documentAnchors.count ..< anchors.count)
                let candidateRows = batch.appendRows(candidates)
                return state.step(current, batch: batch) { forward, gradient in
                    let loss = ranking.add(outputs: forward.output, queryRows: queryRows, candidateRows: candidateRows,
                                           grades: grades, weight: config.gamma, into: &gradient)
                    return LossTerms(terms: [("rank", config.gamma == 0 ? 0 : loss / Double(config.gamma))], total: loss)
                }
            },
            validate: { current, _ in validation.score(current) { state.inputs(current, rows: $0).rotated } },
            progress: progress)
        stages.append(outcome)
        let names = initial == nil ? ["stage1", "stage2"] : ["stage2"]
        return TrainingResult(adaptor: adaptor, sizes: sizes,
                              trainingDescription: describe(["supervised": config],
                                                            outcomes: Dictionary(uniqueKeysWithValues: zip(names, stages))),
                              stages: stages)
    }
}

extension SupervisedTrainer: AdaptorTrainer {
    /// `matryoshka-adaptor`.
    public var method: String { "matryoshka-adaptor" }

    /// Trains on judged data (stage 1 from ``initial`` when given); the fingerprint is the judged set's.
    public func train(_ data: TrainingData, callbacks: TrainingCallbacks) throws -> TrainedAdaptor {
        guard case let .judged(set) = data else { throw TrainingError.needsJudgements(method: "supervised training") }
        let result = try train(corpus: set.corpus, queries: set.queries, judgements: set.judgements, initial: initial,
                               log: callbacks.log, status: callbacks.status, progress: callbacks.progress)
        return TrainedAdaptor(result, method: method, fingerprint: set.fingerprint)
    }
}

extension UnsupervisedBatch {
    /// Appends `items` not already in the batch as extra rows; returns every item's batch row.
    mutating func appendRows(_ items: [Int]) -> [Int] {
        var rowOf: [Int: Int] = [:]
        for (row, item) in corpusRows.enumerated() where rowOf[item] == nil { rowOf[item] = row }
        return items.map { item in
            if let row = rowOf[item] { return row }
            corpusRows.append(item)
            rowOf[item] = corpusRows.count - 1
            return corpusRows.count - 1
        }
    }
}

extension RankingLoss {
    /// `L_rank` of the rows `queryRows` of `y` against its rows `candidateRows`, times `weight`; adds the
    /// gradient into those rows of `gradient` (`y`'s shape).
    func add(outputs y: Matrix, queryRows: [Int], candidateRows: [Int], grades: Matrix, weight: Float,
             into gradient: inout Matrix) -> Double {
        let rank = self(queries: y.gatherRows(queryRows), documents: y.gatherRows(candidateRows), grades: grades, weight: weight)
        gradient.scatterAddRows(rank.gradient.queries, at: queryRows)
        gradient.scatterAddRows(rank.gradient.documents, at: candidateRows)
        return rank.value
    }
}

extension Matrix {
    /// Adds row `r` of `block` into row `rows[r]` for every `r` (rows may repeat).
    mutating func scatterAddRows(_ block: Matrix, at rows: [Int]) {
        precondition(block.rows == rows.count && block.columns == columns, "Scatter block does not fit")
        let d = columns
        storage.withUnsafeMutableBufferPointer { dst in
            block.storage.withUnsafeBufferPointer { src in
                for (r, row) in rows.enumerated() {
                    for c in 0 ..< d { dst[row * d + c] += src[r * d + c] }
                }
            }
        }
    }
}
