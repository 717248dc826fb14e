import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// What SMEC produced: the adaptor, the coordinate order its sizes keep, and each stage's outcome.
public struct SMECResult: Sendable {
    /// The adaptor, its sizes, settings and stage outcomes.
    public var training: TrainingResult
    /// Output coordinates, most important first: the first `m` of `x̂[order]` are the set kept at size `m`.
    public var order: [Int]
}

/// SMEC (Zhang et al., arXiv 2510.12474) on the Matryoshka adaptor, as its own method.
///
/// * **SMRL** — stages `d → d/2 → … → min M`: stage `s` minimises the objective at its own size `m_s` only,
///   starting from the previous stage's weights; the coordinate set it keeps, `S_s ⊂ S_{s-1}`, is fixed when
///   the stage ends and bounds every later stage (what earlier stages fixed stays fixed). `--joint` trains
///   one stage summing over `M`.
/// * **ADS** — a learnable importance `a_j` per output coordinate; during training the size-`m` vector is
///   `x̂ ⊙ mask`, with `mask` the Gumbel-Softmax top-`m` relaxation (``RelaxedTopK``) of `a + g` over the
///   candidates, temperature annealed from `initialTemperature` to `finalTemperature` within each stage. The
///   chosen order is stored in the model file, so a prefix of the output is always the selected set.
///   Without ADS the mask is the first `m` coordinates (plain prefixes).
/// * **S-XBM** — a FIFO memory of earlier batches' documents; each anchor's `memoryNeighbours` most similar
///   entries under the original vectors join the similarity-preservation term as extra pairs.
///
/// The objective at a size is the Matryoshka-Adaptor's (`L_topk + α L_pair + β L_rec`, plus `γ L_rank` when
/// supervised) on the masked vectors. Each stage keeps its best weights by the validation signal at its own
/// size (held-out fidelity unsupervised, held-out training queries' nDCG@10 supervised).
public struct SMECTrainer {
    /// Settings (which parts run, memory, temperatures, budget).
    public var configuration: SMECConfiguration
    /// The adaptor's architecture.
    public var adaptorConfiguration: AdaptorConfiguration

    /// A trainer with these settings.
    public init(configuration: SMECConfiguration, adaptorConfiguration: AdaptorConfiguration) {
        self.configuration = configuration
        self.adaptorConfiguration = adaptorConfiguration
    }

    /// Trains unsupervised SMEC on a corpus (in memory, or a file read in blocks) through a ``CorpusSample``.
    public func train(corpus source: RowSource, log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil) throws -> SMECResult {
        precondition(configuration.supervised == nil, "Supervised SMEC trains on judged queries")
        let sample = try CorpusSample.build(source: source, configuration: configuration.unsupervised, log: log,
                                            status: status)
        let adaptor = try MatryoshkaAdaptor(configuration: adaptorConfiguration, statistics: sample.statistics,
                                            seed: configuration.unsupervised.seed)
        var result = try run(data: .sample(sample), adaptor: adaptor, log: log, progress: progress)
        result.training.dataFingerprint = sample.fingerprint
        return result
    }

    /// Trains supervised SMEC on `corpus` and judged `queries`.
    public func train(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery],
                      log: ((String) -> Void)? = nil, progress: ((TrainingProgress) -> Void)? = nil) throws -> SMECResult {
        precondition(configuration.supervised != nil, "Unsupervised SMEC trains on a corpus alone")
        guard corpus.rows > configuration.unsupervised.neighbours + 1 else {
            throw TrainingError.tooFewDocuments(count: corpus.rows, needed: configuration.unsupervised.neighbours + 2)
        }
        guard judgements.count >= 2 else { throw TrainingError.tooFewQueries(count: judgements.count, needed: 2) }
        let adaptor = try MatryoshkaAdaptor(configuration: adaptorConfiguration, corpus: corpus,
                                            seed: configuration.unsupervised.seed)
        return try run(data: .judged(corpus: corpus, queries: queries, judgements: judgements), adaptor: adaptor,
                       log: log, progress: progress)
    }

    /// The stages, from a freshly initialised adaptor.
    private func run(data: SMECData, adaptor initial: MatryoshkaAdaptor, log: ((String) -> Void)?,
                     progress: ((TrainingProgress) -> Void)?) throws -> SMECResult {
        let config = configuration
        let d = initial.inputDimension
        var adaptor = initial
        var generator = SeededGenerator(seed: config.unsupervised.seed &+ 21)
        let session = try SMECSession(configuration: config, data: data, adaptor: adaptor, generator: &generator)
        log?("SMEC: \(config.sequential ? "sequential" : "joint") stages at sizes "
            + config.stageSizes(dimension: d).map { $0.map(String.init).joined(separator: "+") }.joined(separator: ", "))
        let stages = config.stageSizes(dimension: d)
        let budget = max(1, config.iterations / stages.count)
        var candidates = Array(0 ..< d)
        var kept: [[Int]] = []
        var outcomes: [StageOutcome] = []
        for (number, sizes) in stages.enumerated() {
            let stage = try session.runStage(adaptor: &adaptor, sizes: sizes, candidates: candidates, iterations: budget,
                                             name: "smec \(number + 1)/\(stages.count) m=\(sizes.map(String.init).joined(separator: "+"))",
                                             progress: progress)
            outcomes.append(stage.outcome)
            if config.sequential {
                candidates = stage.selection
                kept.append(stage.selection)
            } else {
                kept = [stage.order]
            }
        }
        // Innermost set first, then each larger set's additions, then the rest, each by importance.
        var order: [Int] = []
        var placed = Set<Int>()
        for set in kept.reversed() + [Array(0 ..< d)] {
            for j in session.byImportance(set) where placed.insert(j).inserted { order.append(j) }
        }
        if !config.adaptiveSelection { order = Array(0 ..< d) }
        let sizes = MatryoshkaSizes(stages.flatMap { $0 } + [d], dimension: d)
        let names = outcomes.indices.map { "stage\($0 + 1)" }
        var sample: SampleDescription?
        if case let .sample(corpusSample) = data { sample = SampleDescription(corpusSample) }
        let result = TrainingResult(adaptor: adaptor, sizes: sizes,
                                    trainingDescription: describe(["smec": config],
                                                                  outcomes: Dictionary(uniqueKeysWithValues: zip(names, outcomes)),
                                                                  sample: sample),
                                    stages: outcomes)
        return SMECResult(training: result, order: order)
    }
}

/// What SMEC trains on: a corpus sample (unsupervised) or the whole corpus with judged queries (supervised).
enum SMECData {
    case sample(CorpusSample)
    case judged(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery])
}

/// The state shared by SMEC's stages: data, caches, the importance logits and the memory.
final class SMECSession {
    let configuration: SMECConfiguration
    let state: UnsupervisedState
    let supervised: SupervisedData?
    let fidelityPool: [Int]
    let heldOut: [Int]
    let normalisedItems: Matrix
    let documentSampler: AnchorSampler
    let querySampler: AnchorSampler?
    var importance: [Float]
    var importanceOptimiser: Adam<[Float]>
    var memory: [Int] = []
    var generator: SeededGenerator
    let ranking: RankingLoss
    var stepCount = 0

    init(configuration: SMECConfiguration, data: SMECData, adaptor: MatryoshkaAdaptor,
         generator: inout SeededGenerator) throws {
        self.configuration = configuration
        let settings = configuration.unsupervised
        let d = adaptor.inputDimension
        var unsupervised = settings
        let documentCount: Int
        switch data {
        case let .judged(corpus, queries, judgements):
            let supervisedSettings = configuration.supervised!
            let (trainRows, validationRows) = splitForValidation(count: corpus.rows, fraction: settings.validationFraction,
                                                                 generator: &generator)
            let data = SupervisedData(corpus: corpus, queries: queries, judgements: judgements, k: settings.neighbours,
                                      hardNegatives: supervisedSettings.hardNegatives,
                                      validationFraction: supervisedSettings.validationFraction, generator: &generator)
            supervised = data
            documentCount = corpus.rows
            unsupervised.reduction = supervisedSettings.stage2Reduction
            state = UnsupervisedState(adaptor: adaptor, corpus: data.items, neighbours: data.neighbours,
                                      configuration: unsupervised, sizes: MatryoshkaSizes([d], dimension: d))
            querySampler = AnchorSampler(pool: data.trainQueries, generator: SeededGenerator(seed: settings.seed &+ 22))
            documentSampler = AnchorSampler(pool: trainRows, generator: SeededGenerator(seed: settings.seed &+ 23))
            heldOut = Array(validationRows.prefix(settings.maxValidationAnchors))
            var poolGenerator = SeededGenerator(seed: settings.seed &+ 2)
            fidelityPool = Array(trainRows.shuffled(using: &poolGenerator).prefix(settings.fidelityPoolSize)).sorted()
        case let .sample(sample):
            supervised = nil
            documentCount = sample.vectors.rows
            state = UnsupervisedState(adaptor: adaptor, corpus: sample.vectors, neighbours: sample.neighbours,
                                      configuration: unsupervised, sizes: MatryoshkaSizes([d], dimension: d))
            querySampler = nil
            documentSampler = AnchorSampler(pool: sample.anchors, generator: SeededGenerator(seed: settings.seed &+ 23))
            heldOut = sample.fidelityQueries
            fidelityPool = sample.pool
        }
        normalisedItems = state.objective.normalisedCorpus
        // Importances start at each output coordinate's log-variance over the corpus, so the first selection
        // is the high-variance coordinates (with the principal-axes front map: the leading axes) and the
        // Gumbel noise perturbs only the borderline ones.
        let start = adaptor.forward(rotated: state.inputs(adaptor, rows: Array(0 ..< documentCount)).rotated).output
        let means = start.columnMeans()
        var variances = [Float](repeating: 0, count: d)
        for i in 0 ..< start.rows { for j in 0 ..< d { variances[j] += (start[i, j] - means[j]) * (start[i, j] - means[j]) } }
        importance = variances.map { log(max($0 / Float(max(start.rows, 1)), 1e-12)) }
        importanceOptimiser = Adam(learningRate: configuration.importanceLearningRate,
                                   zeros: [Float](repeating: 0, count: d), paths: [\[Float].self])
        self.generator = generator
        ranking = RankingLoss(sizes: MatryoshkaSizes([d], dimension: d))
    }

    /// `set` sorted by importance, most important first (ties by coordinate).
    func byImportance(_ set: [Int]) -> [Int] {
        set.sorted { importance[$0] != importance[$1] ? importance[$0] > importance[$1] : $0 < $1 }
    }

    /// One stage: trains at `sizes` within `candidates`, keeps the best weights and importances.
    func runStage(adaptor: inout MatryoshkaAdaptor, sizes: [Int], candidates: [Int], iterations: Int, name: String,
                  progress: ((TrainingProgress) -> Void)?) throws -> (outcome: StageOutcome, selection: [Int], order: [Int]) {
        let settings = configuration.unsupervised
        let d = adaptor.outputDimension
        let stageSizes = MatryoshkaSizes(sizes, dimension: d)
        let validation: RetrievalValidation = supervised.map { $0.validation(sizes: stageSizes) }
            ?? NeighbourFidelity(normalisedCorpus: normalisedItems, heldOut: heldOut, pool: fidelityPool, sizes: stageSizes).validation
        // The hard order a validation sees: the candidates by importance first (or as they come without ADS).
        let hardOrder = { [self] () -> [Int] in
            let inside = configuration.adaptiveSelection ? byImportance(candidates) : candidates
            let inSet = Set(inside)
            return inside + (0 ..< d).filter { !inSet.contains($0) }
        }
        var snapshots: [Int: [Float]] = [:]
        let start = stepCount
        let loop = TrainingLoop(stage: name, iterations: iterations, patience: configuration.patience,
                                validationInterval: settings.validationInterval, learningRate: settings.learningRate,
                                higherIsBetter: true)
        let outcome = loop.run(
            adaptor: &adaptor,
            step: { [self] current in
                let fraction = Float(stepCount - start) / Float(max(iterations, 1))
                let temperature = configuration.initialTemperature
                    * pow(configuration.finalTemperature / configuration.initialTemperature, fraction)
                stepCount += 1
                return step(current, sizes: sizes, candidates: candidates, temperature: temperature)
            },
            validate: { [self] current, iteration in
                snapshots[iteration] = importance
                return validation.score(current, order: hardOrder()) { state.inputs(current, rows: $0).rotated }
            },
            progress: progress)
        importance = snapshots[outcome.bestIteration] ?? importance
        let order = hardOrder()
        return (outcome, Array(order.prefix(sizes.min()!)), order)
    }

    /// Loss terms and adaptor gradient of one batch; the importance logits are updated here.
    func step(_ adaptor: MatryoshkaAdaptor, sizes: [Int], candidates: [Int], temperature: Float) -> (LossTerms, AdaptorParameters) {
        let settings = configuration.unsupervised
        let d = adaptor.outputDimension
        let documents = documentSampler.next(settings.batchSize)
        let queries = querySampler.map { $0.next(configuration.supervised!.queryBatchSize) } ?? []
        var batch = state.makeBatch(anchors: documents + queries.map { supervised!.itemRow(ofQuery: $0) })
        var pairs = batch.neighbourPairs
        var targets = batch.neighbourTargets
        if configuration.crossBatchMemory, !memory.isEmpty {
            let (memoryItems, memoryTargets) = memoryNeighbours(of: documents)
            let rows = batch.appendRows(memoryItems.flatMap { $0 })
            var r = 0
            for (a, items) in memoryItems.enumerated() {
                for _ in items {
                    pairs.append((a, rows[r]))
                    targets.append(memoryTargets[r])
                    r += 1
                }
            }
        }
        var candidateRows: [Int] = [], grades = Matrix(rows: 0, columns: 0), queryRows: [Int] = []
        if let supervised, let supervisedSettings = configuration.supervised {
            let chosen = supervised.candidates(for: queries, random: supervisedSettings.randomNegatives, generator: &generator)
            grades = chosen.grades
            queryRows = Array(documents.count ..< documents.count + queries.count)
            candidateRows = batch.appendRows(chosen.documents)
        }
        let (z, x) = state.inputs(adaptor, rows: batch.corpusRows)
        let forward = adaptor.forward(rotated: z)
        let y = forward.output
        let n = y.rows
        var dy = Matrix(rows: n, columns: d)
        var importanceGradient = [Float](repeating: 0, count: d)
        var topk = 0.0, pair = 0.0, rank = 0.0
        let noise = RelaxedTopK.gumbelNoise(count: candidates.count, generator: &generator)
        for m in sizes {
            // The size-m mask over all coordinates: relaxed top-m of a + g among the candidates, or the first m.
            var mask = [Float](repeating: 0, count: d)
            var relaxed: RelaxedTopK?
            if configuration.adaptiveSelection {
                let r = RelaxedTopK(scores: candidates.indices.map { importance[candidates[$0]] + noise[$0] }, k: m,
                                    temperature: temperature)
                for (i, j) in candidates.enumerated() { mask[j] = r.mask[i] }
                relaxed = r
            } else {
                for j in candidates.prefix(m) { mask[j] = 1 }
            }
            let coordinateMask = CoordinateMask(weights: mask)
            let v = coordinateMask.apply(y)
            var dv = Matrix(rows: n, columns: d)
            let terms = state.objective.similarityTerms(v, pairs: pairs, targets: targets, anchorCount: batch.anchorCount,
                                                        anchorTargets: batch.anchorTargets, gradient: &dv)
            topk += terms.topk
            pair += terms.pair
            if let supervisedSettings = configuration.supervised, !queryRows.isEmpty {
                rank += ranking.add(outputs: v, queryRows: queryRows, candidateRows: candidateRows, grades: grades,
                                    weight: supervisedSettings.gamma, into: &dv)
            }
            let (inputGradient, maskGradient) = coordinateMask.backward(dv, inputs: y)
            dy.addRows(inputGradient, at: 0)
            if let relaxed {
                let g = relaxed.backward(candidates.map { maskGradient[$0] })
                for (i, j) in candidates.enumerated() { importanceGradient[j] += g[i] }
            }
        }
        let (rec, recGradient) = state.objective.reconstruction(forward.residual)
        if configuration.adaptiveSelection { importanceOptimiser.update(&importance, along: importanceGradient) }
        if configuration.crossBatchMemory { remember(documents) }
        var terms: [(name: String, value: Double)] = [("topk", topk)]
        if settings.alpha != 0 { terms.append(("pair", pair)) }
        terms.append(("rec", rec))
        if let gamma = configuration.supervised?.gamma { terms.append(("rank", gamma == 0 ? 0 : rank / Double(gamma))) }
        let total = topk + Double(settings.alpha) * pair + Double(settings.beta) * rec + rank
        let gradient = adaptor.backward(forward, outputGradient: dy, residualGradient: recGradient, preprocessed: x)
        return (LossTerms(terms: terms, total: total), gradient)
    }

    /// For each anchor, its most similar memory documents (original cosine), with the targets in order.
    func memoryNeighbours(of anchors: [Int]) -> (items: [[Int]], targets: [Float]) {
        let k = min(configuration.memoryNeighbours, memory.count)
        guard k > 0 else { return (anchors.map { _ in [] }, []) }
        let index = FlatIndex(normalizedVectors: normalisedItems.gatherRows(memory))
        let results = index.search(normalisedItems.gatherRows(anchors), k: k + 1)
        var items: [[Int]] = []
        var targets: [Float] = []
        for (a, anchor) in anchors.enumerated() {
            var chosen: [Int] = []
            for (position, slot) in results.indices[a * (k + 1) ..< (a + 1) * (k + 1)].enumerated()
                where slot >= 0 && memory[Int(slot)] != anchor && chosen.count < k {
                chosen.append(memory[Int(slot)])
                targets.append(results.scores[a * (k + 1) + position])
            }
            items.append(chosen)
        }
        return (items, targets)
    }

    /// Appends documents to the FIFO memory, dropping the oldest beyond its size.
    func remember(_ documents: [Int]) {
        memory.append(contentsOf: documents)
        if memory.count > configuration.memorySize { memory.removeFirst(memory.count - configuration.memorySize) }
    }
}
