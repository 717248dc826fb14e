/// A data set's split of judgements, resolved to query and corpus rows, ready to score methods: nDCG@10, Recall@100
/// and MRR@10 at every size (``/RetrievalEvaluation/RetrievalEvaluator``), the corpus held in memory.
public struct JudgedEvaluation: Sendable {
    /// The data set (vectors in memory).
    public let dataset: Dataset
    /// The judgements' split.
    public let split: String
    /// The judged queries the query set holds, in qrels order.
    public let queries: [JudgedQuery]
    /// Their ids, in the same order.
    public let queryIds: [String]
    /// A note on judgements naming queries or documents the data lacks, if any.
    public let warning: String?

    /// The judgements of `split`, optionally only the queries whose ids are in `subset`.
    ///
    /// - Throws: ``/EmbeddingIO/EmbeddingIOError`` when the folder has no queries or no such split; ``EvaluationError`` when no
    ///   judged query is in the query set.
    public init(dataset: Dataset, split: String, subset: Set<String>? = nil) throws {
        var qrels = try dataset.qrels(split: split)
        if let subset {
            qrels = Qrels(path: qrels.path, judgements: qrels.judgements.filter { subset.contains($0.key) },
                          queryOrder: qrels.queryOrder.filter(subset.contains))
        }
        try self.init(dataset: dataset, qrels: qrels, split: split)
    }

    /// The judgements `qrels` (read from a file or made in memory, named `split`) resolved against a data set's
    /// queries and corpus.
    ///
    /// - Throws: ``/EmbeddingIO/EmbeddingIOError`` when the data set has no queries; ``EvaluationError`` when no
    ///   judged query is in the query set.
    public init(dataset: Dataset, qrels: Qrels, split: String) throws {
        let queryVectors = try dataset.requireQueries()
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: queryVectors.ids, corpusIds: dataset.corpus.ids)
        guard !resolved.queries.isEmpty else {
            throw EvaluationError.noJudgedQuery(qrelsPath: qrels.path, queryIdsPath: queryVectors.idsPath)
        }
        self.dataset = dataset
        self.split = split
        queries = resolved.queries
        queryIds = resolved.queries.map { queryVectors.ids[$0.queryIndex] }
        warning = resolved.warning(qrelsPath: qrels.path)
    }

    /// nDCG@10, Recall@100 and MRR@10 of `pipeline`'s transform at each size: queries and corpus through
    /// ``/EmbeddingMath/EmbeddingPipeline/transformed(_:)`` once, each size cut from it, float32 shortlists settled in double
    /// precision; with `funnel`, the top `K` at `m'` re-ranked at each size (every size at least `m'`).
    ///
    /// - Parameters:
    ///   - pipeline: the method's pipeline (its transform; the sizes are cut from it).
    ///   - sizes: the sizes `m`.
    ///   - perQuery: keep each query's metrics in the rows (for paired tests).
    ///   - funnel: the shortlist size `m'` and length `K`, or nil for exact search.
    ///   - progress: sizes done and in all.
    public func rows(_ pipeline: EmbeddingPipeline, sizes: [Int], perQuery: Bool = false,
                     funnel: (dimension: Int, size: Int)? = nil,
                     progress: ((Int, Int) -> Void)? = nil) throws -> [ComparisonReport.Row] {
        let evaluator = RetrievalEvaluator(judgements: queries)
        let queryVectors = pipeline.transformed(try dataset.requireQueries().vectors)
        let corpusVectors = pipeline.transformed(dataset.corpus.vectors)
        let results = funnel.map {
            evaluator.evaluateFunnel(queries: queryVectors, corpus: corpusVectors, dimensions: sizes,
                                     shortlistDimension: $0.dimension, shortlistSize: $0.size)
        } ?? evaluator.evaluate(queries: queryVectors, corpus: corpusVectors, dimensions: sizes, progress: progress)
        return results.map { ComparisonReport.Row($0, queryIds: perQuery ? queryIds : nil) }
    }

    /// The judged metrics of codes at every size and precision (``/RetrievalEvaluation/RetrievalEvaluator/evaluateCodes(queries:corpus:dimensions:precisions:calibration:scoring:rescore:progress:)``),
    /// each row carrying its precision, bytes per vector and re-scoring.
    ///
    /// - Parameters:
    ///   - pipeline: the method's whole-output pipeline.
    ///   - sizes: sizes `m`.
    ///   - precisions: the codes to score.
    ///   - calibration: their calibration (the model's, or one made on this corpus for truncation and PCA).
    ///   - scoring: how queries meet binary codes.
    ///   - rescore: the shortlist re-scored with the full vectors (nil: none).
    ///   - perQuery: keep each query's metrics.
    ///   - progress: (points done, points in all).
    public func codeRows(_ pipeline: EmbeddingPipeline, sizes: [Int], precisions: [Precision], calibration: CodeCalibration?,
                         scoring: CodeScoring = .asymmetric, rescore: Int? = nil, perQuery: Bool = false,
                         progress: ((Int, Int) -> Void)? = nil) throws -> [ComparisonReport.Row] {
        let evaluator = RetrievalEvaluator(judgements: queries)
        let results = evaluator.evaluateCodes(queries: pipeline.transformed(try dataset.requireQueries().vectors),
                                              corpus: pipeline.transformed(dataset.corpus.vectors), dimensions: sizes,
                                              precisions: precisions, calibration: calibration, scoring: scoring,
                                              rescore: rescore, progress: progress)
        return results.map { point in
            var row = ComparisonReport.Row(point.result, queryIds: perQuery ? queryIds : nil)
            row.precision = point.precision
            row.bytesPerVector = point.precision.bytes(dimension: point.dimension)
            row.rescore = rescore
            return row
        }
    }
}

/// Evaluation that cannot run as asked.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// None of the split's judged queries is in the query set.
    case noJudgedQuery(qrelsPath: String, queryIdsPath: String)
    /// No judgements and no label-free sample: nothing to measure.
    case nothingToEvaluate
    /// A size larger than the method's output.
    case sizeTooLarge(size: Int, method: String, outputDimension: Int)
    /// A funnel re-ranking size below its shortlist size.
    case sizeBelowShortlist(size: Int, shortlistDimension: Int)
    /// The funnel is scored on judgements, and there are none.
    case funnelNeedsJudgements
    /// Codes are scored on judgements, and there are none.
    case codesNeedJudgements
    /// Codes and the funnel were both asked.
    case codesAndFunnel
    /// A model saved without the calibration its codes need.
    case noCalibration(model: String)
    /// `keep` (the share of the full vectors' nDCG@10 to keep) asked without codes, or outside (0, 1].
    case keepNeedsCodes
    /// No scored point keeps the asked share of the full vectors' nDCG@10.
    case noPointKeeps(share: Double, reference: Double, best: Double)

    public var description: String {
        switch self {
        case let .noJudgedQuery(qrelsPath, queryIdsPath):
            "\(qrelsPath): no judged query is in \(queryIdsPath); nothing to evaluate"
        case .nothingToEvaluate:
            "nothing to evaluate: there are no judgements and the neighbour-recall sample is 0"
        case let .sizeTooLarge(size, method, outputDimension):
            "size \(size) exceeds the \(method) output dimension \(outputDimension)"
        case let .sizeBelowShortlist(size, shortlistDimension):
            "size \(size) is below the shortlist dimension \(shortlistDimension); the funnel re-ranks at a larger size"
        case .funnelNeedsJudgements:
            "the funnel (a shortlist dimension) is scored on judgements: give a data set folder with qrels"
        case .codesNeedJudgements:
            "codes (--precision) are scored on judgements: give a data set folder with qrels"
        case .codesAndFunnel:
            "codes re-score their own shortlist (--rescore K); leave out --shortlist-dimension"
        case let .noCalibration(model):
            "\(model) was saved without the calibration int8, int4, int2 and binary codes need (a fit from before "
                + "codes existed): fit it again with this version, or score float32 and float16 only"
        case .keepNeedsCodes:
            "the fewest bytes keeping a share of nDCG@10 (--keep) is found among codes: give --precision, and a share in (0, 100] %"
        case let .noPointKeeps(share, reference, best):
            "no scored point keeps \(String(format: "%g", share * 100)) % of the full vectors' nDCG@10 "
                + "(\(String(format: "%.2f", reference * 100))): the best reaches \(String(format: "%.2f", best * 100)) "
                + "(\(String(format: "%.1f", best / reference * 100)) %); add larger sizes or finer precisions, or --rescore"
        }
    }
}
