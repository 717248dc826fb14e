import AdaptorNN
import EmbeddingIO
import EmbeddingMath
import RetrievalEvaluation

/// The one shape of every trainer (unsupervised and supervised Matryoshka-Adaptor, Search-Adaptor, SMEC): data in,
/// a model ready to save out.
///
/// ```swift
/// let trainer = try FitOptions().trainer(dimension: corpus.dimension)
/// let trained = try trainer.train(.corpus(corpus), callbacks: .none)
/// try trained.model.save(to: "u.safetensors")
/// ```
public protocol AdaptorTrainer {
    /// The method recorded in the model file: `matryoshka-adaptor`, `search-adaptor` or `smec`.
    var method: String { get }
    /// Trains on `data` and returns the model with the best validated weights.
    ///
    /// - Throws: ``TrainingError`` when the data cannot train this method (judgements missing or too few, a
    ///   corpus too small), and the data's own read errors.
    func train(_ data: TrainingData, callbacks: TrainingCallbacks) throws -> TrainedAdaptor
}

/// What a trainer learns from.
public enum TrainingData {
    /// Corpus vectors alone (`N × d`, raw): in memory, or a file read in blocks. Trains unsupervised methods.
    case corpus(any RowSource)
    /// A corpus with judged training queries. Trains the supervised methods; unsupervised ones use its corpus.
    case judged(JudgedTrainingSet)

    /// The corpus's vector dimension `d`.
    public var dimension: Int {
        switch self {
        case let .corpus(source): source.dimension
        case let .judged(set): set.corpus.columns
        }
    }
}

/// A corpus, its queries and the judgements of one training split, resolved to rows, with their fingerprint.
public struct JudgedTrainingSet: Sendable {
    /// Corpus vectors, `N × d`.
    public var corpus: Matrix
    /// Query vectors, `n × d`; ``judgements`` address their rows.
    public var queries: Matrix
    /// The split's judged queries that the query set holds (the test split is never read by training).
    public var judgements: [JudgedQuery]
    /// SHA-256 of the corpus's and the queries' fingerprints and the judgements' canonical text.
    public var fingerprint: String
    /// A note on judgements that name queries or documents the data lacks, if any.
    public var warning: String?

    /// A set from its parts.
    public init(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery], fingerprint: String, warning: String? = nil) {
        self.corpus = corpus
        self.queries = queries
        self.judgements = judgements
        self.fingerprint = fingerprint
        self.warning = warning
    }

    /// The judgements of `split` (`qrels/<split>.tsv`) resolved against a data set's queries and corpus.
    ///
    /// - Throws: ``/EmbeddingIO/EmbeddingIOError`` when the folder has no queries or no such split.
    public init(dataset: Dataset, split: String) throws {
        try self.init(dataset: dataset, qrels: try dataset.qrels(split: split))
    }

    /// The judgements `qrels` (read from a file or made in memory) resolved against a data set's queries and corpus.
    ///
    /// - Throws: ``/EmbeddingIO/EmbeddingIOError`` when the data set has no queries.
    public init(dataset: Dataset, qrels: Qrels) throws {
        let queries = try dataset.requireQueries()
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: queries.ids, corpusIds: dataset.corpus.ids)
        var hash = SHA256()
        hash.update(Array(EmbeddingSet.fingerprint(dataset.corpus.vectors).utf8))
        hash.update(Array(EmbeddingSet.fingerprint(queries.vectors).utf8))
        hash.update(Array(qrels.canonicalText.utf8))
        self.init(corpus: dataset.corpus.vectors, queries: queries.vectors, judgements: resolved.queries,
                  fingerprint: hash.hexDigest(), warning: resolved.warning(qrelsPath: qrels.path))
    }
}

/// Where a trainer reports: one-line messages about set-up steps (`log`), transient set-up progress with rate and
/// time left (`status`), and periodic training reports (`progress`). Each may be nil.
public struct TrainingCallbacks {
    /// Set-up messages (reading, mining, centring, size weights), one line each.
    public var log: ((String) -> Void)?
    /// Transient progress of set-up steps.
    public var status: ((String) -> Void)?
    /// Periodic training reports.
    public var progress: ((TrainingProgress) -> Void)?

    /// Callbacks from their parts.
    public init(log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil,
                progress: ((TrainingProgress) -> Void)? = nil) {
        self.log = log
        self.status = status
        self.progress = progress
    }

    /// No reports.
    public static var none: TrainingCallbacks { TrainingCallbacks() }
}

/// A trained model with how its training went.
public struct TrainedAdaptor: Sendable {
    /// The model as it is saved: weights, sizes, method, settings and outcome, data fingerprint, coordinate order.
    public var model: AdaptorModel
    /// Each stage's outcome, in order.
    public var stages: [StageOutcome]
    /// Held-out fidelity per size at every validation (unsupervised fits selected on fidelity).
    public var fidelityTrace: FidelityTrace?

    /// The model of `result` as `method` trained it; `order` is a coordinate order (dropped when it is the identity).
    init(_ result: TrainingResult, method: String, fingerprint: String, order: [Int]? = nil) {
        let d = result.adaptor.outputDimension
        model = AdaptorModel(adaptor: result.adaptor, sizes: result.sizes, method: method,
                             training: result.trainingDescription, dataFingerprint: fingerprint,
                             permutation: order == Array(0 ..< d) ? nil : order)
        stages = result.stages
        fidelityTrace = result.fidelityTrace
    }
}
