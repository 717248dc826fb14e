import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// What SMEC trains on: a corpus sample (unsupervised) or the whole corpus with judged queries (supervised).
enum SMECData {
    case sample(CorpusSample)
    case judged(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery])
}

/// The state shared by SMEC's stages: data, caches, the importance logits and the memory.
final class SMECSession {
    let configuration: SMECConfiguration
    let state: TrainingStep
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
            state = TrainingStep(adaptor: adaptor, corpus: data.items, neighbours: data.neighbours,
                                      configuration: unsupervised, sizes: MatryoshkaSizes([d], dimension: d))
            querySampler = AnchorSampler(pool: data.trainQueries, generator: SeededGenerator(seed: settings.seed &+ 22))
            documentSampler = AnchorSampler(pool: trainRows, generator: SeededGenerator(seed: settings.seed &+ 23))
            heldOut = Array(validationRows.prefix(settings.maxValidationAnchors))
            var poolGenerator = SeededGenerator(seed: settings.seed &+ 2)
            fidelityPool = Array(trainRows.shuffled(using: &poolGenerator).prefix(settings.fidelityPoolSize)).sorted()
        case let .sample(sample):
            supervised = nil
            documentCount = sample.vectors.rows
            state = TrainingStep(adaptor: adaptor, corpus: sample.vectors, neighbours: sample.neighbours,
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
        let outcome = try loop.run(
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
