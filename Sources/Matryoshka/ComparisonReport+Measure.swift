/// One method in a comparison: its label, how its embeddings are made, and its kind (`truncate`, `pca`, `adaptor`,
/// `search-adaptor`, `smec`) for the report.
public struct ComparedMethod: Sendable, Equatable {
    /// The display name.
    public var label: String
    /// How the embeddings are made.
    public var method: EmbeddingMethod
    /// The kind shown in the report.
    public var kind: String

    /// A method from its parts.
    public init(label: String, method: EmbeddingMethod, kind: String) {
        self.label = label
        self.method = method
        self.kind = kind
    }
}

extension ComparisonReport {
    /// Scores every method on `evaluation`'s judgements at each size (nDCG@10, Recall@100, MRR@10 with standard
    /// errors, and neighbour-recall@10 of `neighbourSample` sampled documents when positive), and measures the
    /// bytes and exact-search queries per second of each size; the report carries the data's fingerprints.
    ///
    /// - Parameters:
    ///   - evaluation: the data set and its judged queries.
    ///   - methods: the methods compared, in the report's order.
    ///   - sizes: sizes `m` (nil: powers of two from 16 below `d`, then `d`).
    ///   - neighbourSample: corpus documents sampled for neighbour-recall@10 (0: none).
    ///   - precisions: codes to score every method at, at every size (``JudgedEvaluation/codeRows(_:sizes:precisions:calibration:scoring:rescore:perQuery:progress:)``),
    ///     each point marked dominated when a point of any method costs no more bytes and scores at least as well
    ///     (nil: none).
    ///   - scoring: how queries meet binary codes.
    ///   - rescore: with codes, re-score each query's best `K` by the codes with the full vectors (nil: none).
    ///   - status: transient progress lines.
    /// - Throws: ``EvaluationError/noCalibration(model:)`` for codes of a model saved without a calibration; the
    ///   data's and models' errors.
    public static func measure(_ evaluation: JudgedEvaluation, methods: [ComparedMethod], sizes: [Int]? = nil,
                               neighbourSample: Int = NeighbourRecallEvaluator().sampleSize,
                               precisions: [Precision]? = nil, scoring: CodeScoring = .asymmetric, rescore: Int? = nil,
                               status: ((String) -> Void)? = nil) throws -> ComparisonReport {
        let dataset = evaluation.dataset
        let queries = try dataset.requireQueries()
        let d = dataset.corpus.dimension
        let sizes = sizes ?? RetrievalEvaluator.defaultDimensions(for: d)
        if let bad = sizes.first(where: { $0 > d }) {
            throw EvaluationError.sizeTooLarge(size: bad, method: "the vectors'", outputDimension: d)
        }
        var results: [ComparisonReport.Method] = []
        for (i, compared) in methods.enumerated() {
            let prepared = try compared.method.prepare(dimension: d, corpus: dataset.corpus)
            let pipeline = try prepared.pipeline()
            let start = ContinuousClock.now
            var rows = try evaluation.rows(pipeline, sizes: sizes) { done, total in
                status?(rateLine("\(compared.label) (\(i + 1)/\(methods.count)): evaluated", done: done, total: total,
                                 unit: "sizes", since: start))
            }
            if neighbourSample > 0 {
                var labelFree = NeighbourRecallEvaluator()
                labelFree.sampleSize = neighbourSample
                let recall = try labelFree.evaluate(corpus: dataset.corpus, pipeline: pipeline, dimensions: sizes)
                for (r, result) in recall.enumerated() {
                    rows[r].neighbourRecall = result.mean
                    rows[r].neighbourRecallStandardError = result.standardError
                }
            }
            var settings: [String: String] = [:]
            if let model = prepared.model {
                settings = ["method": model.method, "training": model.training, "data_fingerprint": model.dataFingerprint,
                            "matryoshka_sizes": model.sizes.sizes.map(String.init).joined(separator: ",")]
            }
            var modelPath: String?
            if case let .model(path) = compared.method { modelPath = path }
            var codeRows: [ComparisonReport.Row]?
            if let precisions {
                let calibration = try prepared.calibration(for: precisions, corpus: dataset.corpus,
                                                           modelName: modelPath ?? compared.label)
                let codesStart = ContinuousClock.now
                codeRows = try evaluation.codeRows(pipeline, sizes: sizes, precisions: precisions, calibration: calibration,
                                                   scoring: scoring, rescore: rescore) { done, total in
                    status?(rateLine("\(compared.label) (\(i + 1)/\(methods.count)): codes", done: done, total: total,
                                     unit: "points", since: codesStart))
                }
            }
            results.append(ComparisonReport.Method(name: compared.label, kind: compared.kind, modelPath: modelPath,
                                                   settings: settings, rows: rows, codeRows: codeRows))
        }
        if precisions != nil {
            // Dominated across the whole comparison: the frontier a reader of the report chooses from.
            let places = results.indices.flatMap { m in results[m].codeRows!.indices.map { (m, $0) } }
            let flags = BytesFrontier.dominated(places.map { m, r in
                (results[m].codeRows![r].bytesPerVector!, results[m].codeRows![r].ndcg)
            })
            for ((m, r), flag) in zip(places, flags) { results[m].codeRows![r].dominated = flag }
        }
        let evaluator = RetrievalEvaluator(judgements: evaluation.queries)
        let reference = evaluator.evaluate(queries: queries.vectors, corpus: dataset.corpus.vectors, dimensions: [d])[0].ndcg
        status?("measuring search cost")
        let judgedQueries = queries.vectors.gatherRows(evaluation.queries.map(\.queryIndex))
        let costs = sizes.map { m in
            ComparisonReport.Cost(dimension: m, bytesPerVector: 4 * m,
                                  queriesPerSecond: queriesPerSecond(corpus: dataset.corpus.vectors, queries: judgedQueries,
                                                                     dimension: m))
        }
        let qrels = try dataset.qrels(split: evaluation.split)
        var qrelsHash = SHA256()
        qrelsHash.update(Array(qrels.canonicalText.utf8))
        return ComparisonReport(
            data: dataset.name, directory: dataset.directory, split: evaluation.split,
            judgedQueries: evaluation.queries.count, documents: dataset.corpus.count, dimension: d,
            fingerprints: ["corpus vectors": EmbeddingSet.fingerprint(dataset.corpus.vectors),
                           "query vectors": EmbeddingSet.fingerprint(queries.vectors),
                           "\(evaluation.split) judgements": qrelsHash.hexDigest()],
            libraryVersion: matryoshkaLibraryVersion, referenceNDCG: reference, methods: results, costs: costs)
    }

    /// Exact top-10 search of `queries` over `corpus` at prefix `m`, repeated for at least 0.2 s: queries per second.
    static func queriesPerSecond(corpus: Matrix, queries: Matrix, dimension m: Int) -> Double {
        let index = FlatIndex(vectors: corpus, prefix: m)
        let q = queries.normalizedPrefix(columns: m)
        let clock = ContinuousClock()
        var searched = 0
        let start = clock.now
        repeat {
            _ = index.search(q, k: 10)
            searched += q.rows
        } while clock.now - start < .milliseconds(200)
        return Double(searched) / ((clock.now - start) / .seconds(1))
    }
}
