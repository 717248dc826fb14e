import EmbeddingMath
import VectorSearch

/// One query's scores at one dimension.
public struct QueryMetrics: Sendable, Equatable, Codable {
    /// nDCG at the evaluator's cutoff (10 by default).
    public var ndcg: Double
    /// Recall at the evaluator's cutoff (100 by default).
    public var recall: Double
    /// Reciprocal rank at the evaluator's cutoff (10 by default).
    public var reciprocalRank: Double
}

/// Mean metrics over the judged queries at one Matryoshka size `m`, with the per-query values.
public struct DimensionResult: Sendable, Equatable {
    /// The prefix size `m`.
    public var dimension: Int
    /// Per-query metrics, in the order of the evaluator's judged queries.
    public var perQuery: [QueryMetrics]

    /// Mean nDCG over judged queries.
    public var ndcg: Double { mean(\.ndcg) }
    /// Mean recall over judged queries.
    public var recall: Double { mean(\.recall) }
    /// Mean reciprocal rank (MRR) over judged queries.
    public var mrr: Double { mean(\.reciprocalRank) }

    /// The mean of one metric over queries.
    public func mean(_ metric: KeyPath<QueryMetrics, Double>) -> Double {
        perQuery.isEmpty ? 0 : perQuery.reduce(0) { $0 + $1[keyPath: metric] } / Double(perQuery.count)
    }

    /// The standard error of that mean across queries: `s / √n` with the sample standard deviation `s`.
    public func standardError(_ metric: KeyPath<QueryMetrics, Double>) -> Double {
        let n = Double(perQuery.count)
        guard n > 1 else { return 0 }
        let mu = mean(metric)
        let variance = perQuery.reduce(0) { $0 + ($1[keyPath: metric] - mu) * ($1[keyPath: metric] - mu) } / (n - 1)
        return (variance / n).squareRoot()
    }
}

/// Scores exact cosine retrieval at a list of Matryoshka sizes against relevance judgements.
///
/// At each size `m`, queries and documents are cut to their first `m` coordinates and re-normalised,
/// the whole corpus is ranked for every judged query (``/VectorSearch/FlatIndex``, with the shortlist re-ranked in
/// double precision), and nDCG@10, Recall@100 and MRR@10 are averaged over the judged queries.
public struct RetrievalEvaluator: Sendable {
    /// The judged queries to score.
    public var judgements: [JudgedQuery]
    /// nDCG cutoff `k` (default 10).
    public var ndcgCutoff = 10
    /// Recall cutoff `k` (default 100).
    public var recallCutoff = 100
    /// MRR cutoff `k` (default 10).
    public var mrrCutoff = 10
    /// Extra float32 candidates per query re-ranked in double precision, so that near-ties are ordered
    /// exactly (reference numbers are computed in float64).
    public var refinementMargin = 16

    /// An evaluator over `judgements`.
    public init(judgements: [JudgedQuery]) {
        self.judgements = judgements
    }

    /// Evaluates at every size in `dimensions`.
    ///
    /// - Parameters:
    ///   - queries: transformed query vectors, `n × D`; rows are addressed by `JudgedQuery.queryIndex`.
    ///   - corpus: transformed corpus vectors, `N × D`.
    ///   - dimensions: prefix sizes, each in `1 ... D`.
    ///   - progress: called after each size with `(sizes done, sizes in all)`.
    public func evaluate(queries: Matrix, corpus: Matrix, dimensions: [Int],
                         progress: ((Int, Int) -> Void)? = nil) -> [DimensionResult] {
        precondition(queries.columns == corpus.columns,
                     "Query dimension \(queries.columns) differs from corpus dimension \(corpus.columns)")
        let judged = queries.gatherRows(judgements.map(\.queryIndex))
        return dimensions.enumerated().map { done, m in
            defer { progress?(done + 1, dimensions.count) }
            precondition(m >= 1 && m <= corpus.columns, "Dimension \(m) outside 1...\(corpus.columns)")
            let k = max(ndcgCutoff, recallCutoff, mrrCutoff)
            let shortlist = FlatIndex(vectors: corpus, prefix: m).search(judged.prefix(columns: m), k: k + refinementMargin)
            let results = shortlist.refinedInDoublePrecision(queries: judged, corpus: corpus, prefix: m, k: k)
            return DimensionResult(dimension: m, perQuery: score(results))
        }
    }

    /// Evaluates adaptive retrieval (the funnel) at every re-ranking size in `dimensions`: each judged query's top
    /// `shortlistSize` on the first `shortlistDimension` coordinates, re-ranked by cosine at size `m`
    /// (``/VectorSearch/TwoTierIndex``).
    ///
    /// - Parameters: as ``evaluate(queries:corpus:dimensions:progress:)``; every `m` is at least `shortlistDimension`.
    public func evaluateFunnel(queries: Matrix, corpus: Matrix, dimensions: [Int], shortlistDimension: Int,
                               shortlistSize: Int) -> [DimensionResult] {
        let judged = queries.gatherRows(judgements.map(\.queryIndex))
        return dimensions.map { m in
            precondition(m >= shortlistDimension && m <= corpus.columns, "Re-ranking size \(m) outside \(shortlistDimension)...\(corpus.columns)")
            let funnel = TwoTierIndex(full: FlatIndex(vectors: corpus, prefix: m), shortlistDimension: shortlistDimension,
                                      shortlistSize: shortlistSize)
            let results = funnel.search(judged.prefix(columns: m), k: max(ndcgCutoff, recallCutoff, mrrCutoff))
            return DimensionResult(dimension: m, perQuery: score(results))
        }
    }

    /// Evaluates codes: at every size `m` and precision, the corpus's codes of its unit full vectors
    /// (``/EmbeddingMath/CodeMatrix``) searched exactly by every judged query (``/VectorSearch/CodeIndex``), with the
    /// best `rescore` re-scored by the full vectors when given. `float32` without re-scoring is
    /// ``evaluate(queries:corpus:dimensions:progress:)`` itself, so it equals the rows of the float vectors.
    ///
    /// - Parameters:
    ///   - queries: transformed query vectors, `n × D` (any norm; rows addressed by `JudgedQuery.queryIndex`).
    ///   - corpus: transformed corpus vectors, `N × D`.
    ///   - dimensions: sizes `m`, each in `1 ... D`.
    ///   - precisions: the codes to score at each size.
    ///   - calibration: the codes' calibration (needed below 16 bits).
    ///   - scoring: how queries meet binary codes.
    ///   - rescore: the shortlist re-scored with the full vectors (nil: none).
    ///   - progress: (points done, points in all).
    /// - Returns: one result per (size, precision), sizes outer.
    public func evaluateCodes(queries: Matrix, corpus: Matrix, dimensions: [Int], precisions: [Precision],
                              calibration: CodeCalibration?, scoring: CodeScoring = .asymmetric, rescore: Int? = nil,
                              progress: ((Int, Int) -> Void)? = nil)
        -> [(dimension: Int, precision: Precision, result: DimensionResult)]
    {
        let unitCorpus = corpus.normalizedRows()
        let judged = queries.gatherRows(judgements.map(\.queryIndex)).normalizedRows()
        let k = max(ndcgCutoff, recallCutoff, mrrCutoff)
        var out: [(dimension: Int, precision: Precision, result: DimensionResult)] = []
        let total = dimensions.count * precisions.count
        for m in dimensions {
            for precision in precisions {
                defer { progress?(out.count, total) }
                if precision == .float32, rescore == nil {
                    out.append((m, precision, evaluate(queries: queries, corpus: corpus, dimensions: [m])[0]))
                    continue
                }
                let codes = CodeMatrix(encoding: unitCorpus, dimension: m, precision: precision, calibration: calibration)
                let index = CodeIndex(codes: codes, calibration: calibration,
                                      scoring: precision == .binary ? scoring : .asymmetric)
                let results = index.search(unitQueries: judged, k: k, rescore: rescore.map { ($0, unitCorpus) })
                out.append((m, precision, DimensionResult(dimension: m, perQuery: score(results))))
            }
        }
        return out
    }

    /// Per-query metrics for search results whose row `i` answers `judgements[i]`.
    public func score(_ results: SearchResults) -> [QueryMetrics] {
        precondition(results.queryCount == judgements.count,
                     "\(results.queryCount) result rows for \(judgements.count) judged queries")
        return judgements.indices.map { i in
            let ranking = results.neighbours(of: i)
            return QueryMetrics(
                ndcg: RankingMetrics.ndcg(ranking: ranking, judgements: judgements[i], k: ndcgCutoff),
                recall: RankingMetrics.recall(ranking: ranking, judgements: judgements[i], k: recallCutoff),
                reciprocalRank: RankingMetrics.reciprocalRank(ranking: ranking, judgements: judgements[i], k: mrrCutoff)
            )
        }
    }

    /// The default Matryoshka sizes for dimension `d`: powers of two from 16 below `d`, then `d`.
    public static func defaultDimensions(for d: Int) -> [Int] {
        var sizes: [Int] = []
        var m = 16
        while m < d {
            sizes.append(m)
            m *= 2
        }
        return sizes + [d]
    }
}
