import AdaptorNN
import AdaptorOptimizers
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// What SMEC produced: the adaptor, the coordinate order its sizes keep, and each stage's outcome.
struct SMECResult: Sendable {
    /// The adaptor, its sizes, settings and stage outcomes.
    var training: TrainingResult
    /// Output coordinates, most important first: the first `m` of `x̂[order]` are the set kept at size `m`.
    var order: [Int]
}

/// SMEC (Zhang et al., arXiv 2510.12474) on the Matryoshka adaptor, as its own method.
///
/// * **SMRL** — stages `d → d/2 → … → min M`: stage `s` minimises the objective at its own size `m_s` only,
///   starting from the previous stage's weights; the coordinate set it keeps, `S_s ⊂ S_{s-1}`, is fixed when
///   the stage ends and bounds every later stage (what earlier stages fixed stays fixed). `--joint` trains
///   one stage summing over `M`.
/// * **ADS** — a learnable importance `a_j` per output coordinate; during training the size-`m` vector is
///   `x̂ ⊙ mask`, with `mask` the Gumbel-Softmax top-`m` relaxation (``/AdaptorNN/RelaxedTopK``) of `a + g` over the
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
    func train(corpus source: RowSource, log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
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
    func train(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery],
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

extension SMECTrainer: AdaptorTrainer {
    /// `smec`.
    public var method: String { "smec" }

    /// Trains supervised SMEC on judged data, unsupervised SMEC on the corpus; the learned coordinate order is the
    /// model's stored permutation.
    public func train(_ data: TrainingData, callbacks: TrainingCallbacks) throws -> TrainedAdaptor {
        if configuration.supervised != nil {
            guard case let .judged(set) = data else { throw TrainingError.needsJudgements(method: "supervised SMEC") }
            let result = try train(corpus: set.corpus, queries: set.queries, judgements: set.judgements,
                                   log: callbacks.log, progress: callbacks.progress)
            return TrainedAdaptor(result.training, method: method, fingerprint: set.fingerprint, order: result.order)
        }
        let source: any RowSource = switch data {
        case let .corpus(source): source
        case let .judged(set): set.corpus
        }
        let result = try train(corpus: source, log: callbacks.log, status: callbacks.status, progress: callbacks.progress)
        return TrainedAdaptor(result.training, method: method, fingerprint: result.training.dataFingerprint ?? "",
                              order: result.order)
    }
}
