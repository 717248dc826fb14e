/// The geometry of neighbour-recall@10's full-dimension reference.
public enum NeighbourReference: String, Sendable, CaseIterable {
    /// Cosine on the vectors as given.
    case original
    /// The corpus mean of the normalised vectors removed first: the geometry PCA and a centring adaptor retrieve in.
    case centred
    /// Centred when the corpus's mean cosine between documents is at least ``/AdaptorTraining/CentringSignal/threshold`` (the rule
    /// of unsupervised fits' automatic centring).
    case auto
}

/// One method scored at a list of sizes: the judged metrics of a data set's split, the label-free
/// neighbour-recall@10, or both (what `matryoshka evaluate` prints).
public struct Evaluation {
    /// The data set's name, or the corpus file.
    public var name: String
    /// The data set's folder (empty for a corpus file).
    public var directory = ""
    /// The corpus: in memory with judgements, or a file read in blocks.
    public var corpus: any RowSource
    /// The judgements, when scoring judged metrics.
    public var judged: JudgedEvaluation?
    /// Query vectors for neighbour-recall@10 instead of sampled corpus documents.
    public var neighbourQueries: Matrix?
    /// Sizes `m` (nil: powers of two from 16 below the output dimension, then it; with a funnel, the output dimension).
    public var sizes: [Int]?
    /// Corpus documents sampled as neighbour-recall@10's queries (0: skip it).
    public var neighbourSample = NeighbourRecallEvaluator().sampleSize
    /// Adaptive retrieval: the shortlist's size `m'` and length `K` (judged metrics only).
    public var funnel: (dimension: Int, size: Int)?
    /// The geometry of neighbour-recall@10's reference.
    public var reference = NeighbourReference.original
    /// Keep each judged query's metrics in the rows.
    public var perQuery = false
    /// Codes scored at every size (judged metrics only; nil: the float vectors, no codes): one row per size and
    /// precision, with its bytes per vector.
    public var precisions: [Precision]?
    /// How queries meet binary codes.
    public var scoring = CodeScoring.asymmetric
    /// With codes: the best `K` by the codes re-scored with the full vectors (nil: none).
    public var rescore: Int?
    /// With codes: find the fewest bytes per vector that keep this share (in (0, 1]) of the full vectors' nDCG@10
    /// (an error when no point does).
    public var keep: Double?

    /// The judged evaluation of a data set (its corpus in memory).
    public init(judged: JudgedEvaluation) {
        name = judged.dataset.name
        directory = judged.dataset.directory
        corpus = judged.dataset.corpus
        self.judged = judged
    }

    /// The label-free evaluation of a corpus (read in blocks) named `name`.
    public init(corpus: any RowSource, name: String, directory: String = "") {
        self.name = name
        self.directory = directory
        self.corpus = corpus
    }

    /// Scores `method` (named `methodName` in the report).
    ///
    /// - Parameters:
    ///   - method: how the embeddings are made.
    ///   - methodName: its name in the report.
    ///   - log: one-line notes (the reference geometry).
    ///   - status: transient progress lines.
    /// - Throws: ``EvaluationError`` for sizes the method cannot give or nothing to measure; the method's and the
    ///   data's own errors.
    public func run(method: EmbeddingMethod, methodName: String, log: ((String) -> Void)? = nil,
                    status: ((String) -> Void)? = nil) throws -> EvaluationReport {
        if judged == nil, neighbourSample == 0 { throw EvaluationError.nothingToEvaluate }
        if funnel != nil, judged == nil { throw EvaluationError.funnelNeedsJudgements }
        let clock = ContinuousClock.now
        let prepared = try method.prepare(dimension: corpus.dimension, corpus: corpus) { done, total in
            status?(rateLine("fitting PCA", done: done, total: total, unit: "rows", since: clock))
        }
        return try run(prepared: prepared, methodName: methodName, modelName: method.description, log: log, status: status)
    }

    /// Scores a method made ready already (a model in memory, as the bindings hold one), named `methodName` in the
    /// report and `modelName` in errors; otherwise as ``run(method:methodName:log:status:)``.
    ///
    /// - Parameters:
    ///   - prepared: the method's transform and fingerprint.
    ///   - methodName: its name in the report.
    ///   - modelName: its name in an error (a model's path).
    ///   - log: one-line notes (the reference geometry).
    ///   - status: transient progress lines.
    /// - Throws: as ``run(method:methodName:log:status:)``.
    public func run(prepared: PreparedMethod, methodName: String, modelName: String, log: ((String) -> Void)? = nil,
                    status: ((String) -> Void)? = nil) throws -> EvaluationReport {
        if judged == nil, neighbourSample == 0 { throw EvaluationError.nothingToEvaluate }
        if funnel != nil, judged == nil { throw EvaluationError.funnelNeedsJudgements }
        let pipeline = try prepared.pipeline()
        let output = pipeline.outputDimension
        let sizes = self.sizes ?? (funnel != nil ? [output] : RetrievalEvaluator.defaultDimensions(for: output))
        if let bad = sizes.first(where: { $0 > output }) {
            throw EvaluationError.sizeTooLarge(size: bad, method: methodName, outputDimension: output)
        }
        if let funnel, let bad = sizes.first(where: { $0 < funnel.dimension }) {
            throw EvaluationError.sizeBelowShortlist(size: bad, shortlistDimension: funnel.dimension)
        }
        let judgedClock = ContinuousClock.now
        let judgedRows: [ComparisonReport.Row]?
        var fullNDCG: Double?, fewestBytes: FewestBytes?
        if keep != nil, precisions == nil || !(keep! > 0 && keep! <= 1) { throw EvaluationError.keepNeedsCodes }
        if let precisions {
            guard let judged else { throw EvaluationError.codesNeedJudgements }
            if funnel != nil { throw EvaluationError.codesAndFunnel }
            let calibration = try prepared.calibration(for: precisions, corpus: corpus, modelName: modelName)
            var rows = try judged.codeRows(pipeline, sizes: sizes, precisions: precisions, calibration: calibration,
                                           scoring: scoring, rescore: rescore, perQuery: perQuery) { done, total in
                status?(rateLine("evaluated", done: done, total: total, unit: "points", since: judgedClock))
            }
            let points = rows.map { (bytes: $0.bytesPerVector!, score: $0.ndcg) }
            for (i, dominated) in BytesFrontier.dominated(points).enumerated() { rows[i].dominated = dominated }
            // The reference: the input vectors themselves, float32 at d.
            let full = try judged.rows(try EmbeddingPipeline(IdentityTransform(dimension: corpus.dimension)),
                                       sizes: [corpus.dimension])[0].ndcg
            fullNDCG = full
            if let keep {
                guard let i = BytesFrontier.cheapest(points, keeping: keep, of: full) else {
                    throw EvaluationError.noPointKeeps(share: keep, reference: full, best: points.map(\.score).max() ?? 0)
                }
                fewestBytes = FewestBytes(share: keep, fullNDCG: full, dimension: rows[i].dimension,
                                          precision: rows[i].precision!, bytesPerVector: points[i].bytes, ndcg: points[i].score)
            }
            judgedRows = rows
        } else {
            judgedRows = try judged?.rows(pipeline, sizes: sizes, perQuery: perQuery, funnel: funnel) { done, total in
                status?(rateLine("evaluated", done: done, total: total, unit: "sizes", since: judgedClock))
            }
        }
        var recall: [NeighbourRecallResult]?
        var geometry: (name: String, meanCosine: Double?) = ("original", nil)
        if neighbourSample > 0, funnel == nil, precisions == nil {
            var evaluator = NeighbourRecallEvaluator()
            evaluator.sampleSize = neighbourSample
            if reference != .original {
                let mean = try NeighbourRecallEvaluator.normalisedMean(of: corpus)
                let signal = CentringSignal(normalisedMean: mean, count: corpus.rowCount)
                let centred = reference == .centred || signal.centre
                if centred { evaluator.referenceCentre = mean }
                geometry = (centred ? "centred" : "original", signal.meanCosine)
                log?("neighbour-recall@10 reference: \(geometry.name) geometry "
                     + "(mean cosine between corpus documents \(String(format: "%.3f", signal.meanCosine)))")
            }
            let recallClock = ContinuousClock.now
            recall = try evaluator.evaluate(corpus: corpus, pipeline: pipeline, dimensions: sizes,
                                            queries: neighbourQueries) { done, total in
                status?(rateLine("neighbour-recall@10", done: done, total: total, unit: "rows", since: recallClock))
            }
        }
        return EvaluationReport(
            data: name, directory: directory, split: judged?.split, method: methodName,
            judgedQueries: judged?.queries.count, neighbourQueries: recall?.first?.perQuery.count ?? 0,
            documents: corpus.rowCount, inputDimension: corpus.dimension, shortlistDimension: funnel?.dimension,
            shortlistSize: funnel?.size, neighbourReference: recall == nil ? nil : geometry.name,
            meanCosine: geometry.meanCosine, fullNDCG: fullNDCG, fewestBytes: fewestBytes,
            results: (judgedRows?.indices ?? sizes.indices).map {
                EvaluationReport.Row(judged: judgedRows?[$0], neighbourRecall: recall?[$0])
            })
    }
}
