import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import RetrievalEvaluation

/// Search-Adaptor (Yoon et al., arXiv 2310.08750), the supervised baseline: the same residual adaptor trained
/// with the ranking loss at full dimension only, an L1 recovery term on the residual and an L1 prediction
/// term from a corpus-to-query predictor that exists only during training:
///
/// `L = L_rank[d] + λ_rec (1/(n d)) Σ ‖f(x)‖₁ + λ_pred L_pred`.
///
/// Candidates, sampling and the held-out training queries are those of ``SupervisedTrainer``; early stopping
/// watches held-out nDCG@10 at full dimension (the only size it optimises). Its prefixes are evaluated by
/// truncation like any other model's.
public struct SearchAdaptorTrainer {
    /// Settings (`stage1` supplies `k`, the seed of the start, and `M` is ignored).
    public var configuration: SupervisedConfiguration
    /// Architecture.
    public var adaptorConfiguration: AdaptorConfiguration

    /// A trainer with these settings.
    public init(configuration: SupervisedConfiguration, adaptorConfiguration: AdaptorConfiguration) {
        self.configuration = configuration
        self.adaptorConfiguration = adaptorConfiguration
    }

    /// Trains on `corpus` and the judged training `queries` (see ``SupervisedTrainer/train(corpus:queries:judgements:initial:log:progress:)``).
    func train(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery],
               progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingResult {
        let config = configuration
        guard judgements.count >= 2 else { throw TrainingError.tooFewQueries(count: judgements.count, needed: 2) }
        let d = corpus.columns
        var adaptor = try MatryoshkaAdaptor(configuration: adaptorConfiguration, corpus: corpus, seed: config.stage1.seed)
        var generator = SeededGenerator(seed: config.seed &+ 11)
        let data = SupervisedData(corpus: corpus, queries: queries, judgements: judgements, k: 1,
                                  hardNegatives: config.hardNegatives, validationFraction: config.validationFraction,
                                  generator: &generator)
        let full = MatryoshkaSizes([d], dimension: d)
        var settings = config.stage1
        settings.alpha = 0
        settings.beta = config.searchAdaptorRecovery
        settings.reduction = .mean
        settings.sizes = [d]
        settings.neighbours = 1
        // No neighbour pairs: the unsupervised machinery contributes only the recovery term.
        let state = TrainingStep(adaptor: adaptor, corpus: data.items, neighbours: data.neighbours,
                                      configuration: settings, sizes: full, neighbourCount: 0)
        let queries = AnchorSampler(pool: data.trainQueries, generator: SeededGenerator(seed: config.seed &+ 12))
        let validation = data.validation(sizes: full)
        let ranking = RankingLoss(sizes: full)
        var prediction = PredictionLoss.identity(dimension: d)
        var predictorOptimiser = Adam(learningRate: config.learningRate, zeros: Linear(inputs: d, outputs: d),
                                      paths: [\Linear.weight.storage, \Linear.bias])
        let loop = TrainingLoop(stage: "search-adaptor", iterations: config.iterations, patience: config.patience,
                                validationInterval: config.validationInterval, learningRate: config.learningRate,
                                higherIsBetter: true)
        let outcome = try loop.run(
            adaptor: &adaptor,
            step: { current in
                let batchQueries = queries.next(config.queryBatchSize)
                let anchors = batchQueries.map(data.itemRow(ofQuery:))
                let (candidates, grades) = data.candidates(for: batchQueries, random: config.randomNegatives,
                                                           generator: &generator)
                var batch = state.makeBatch(anchors: anchors)
                let queryRows = Array(0 ..< anchors.count)
                let candidateRows = batch.appendRows(candidates)
                return state.step(current, batch: batch) { forward, gradient in
                    let q = forward.output.gatherRows(queryRows), c = forward.output.gatherRows(candidateRows)
                    let rank = ranking(queries: q, documents: c, grades: grades)
                    gradient.scatterAddRows(rank.gradient.queries, at: queryRows)
                    gradient.scatterAddRows(rank.gradient.documents, at: candidateRows)
                    var relevant: [(Int, Int)] = []
                    for i in 0 ..< grades.rows { for j in 0 ..< grades.columns where grades[i, j] > 0 { relevant.append((i, j)) } }
                    let predicted = prediction(queries: q, documents: c, pairs: relevant, weight: config.searchAdaptorPrediction)
                    gradient.scatterAddRows(predicted.gradient.queries, at: queryRows)
                    gradient.scatterAddRows(predicted.gradient.documents, at: candidateRows)
                    predictorOptimiser.update(&prediction.predictor, along: predicted.gradient.predictor)
                    let weight = Double(config.searchAdaptorPrediction)
                    return LossTerms(terms: [("rank", rank.value), ("pred", weight == 0 ? 0 : predicted.value / weight)],
                                     total: rank.value + predicted.value)
                }
            },
            validate: { current, _ in validation.score(current) { state.inputs(current, rows: $0).rotated } },
            progress: progress)
        return TrainingResult(adaptor: adaptor, sizes: full,
                              trainingDescription: describe(["search_adaptor": config], outcomes: ["search_adaptor": outcome]),
                              stages: [outcome])
    }
}

extension SearchAdaptorTrainer: AdaptorTrainer {
    /// `search-adaptor`.
    public var method: String { "search-adaptor" }

    /// Trains on judged data; the fingerprint is the judged set's.
    public func train(_ data: TrainingData, callbacks: TrainingCallbacks) throws -> TrainedAdaptor {
        guard case let .judged(set) = data else { throw TrainingError.needsJudgements(method: "Search-Adaptor") }
        let result = try train(corpus: set.corpus, queries: set.queries, judgements: set.judgements,
                               progress: callbacks.progress)
        return TrainedAdaptor(result, method: method, fingerprint: set.fingerprint)
    }
}
