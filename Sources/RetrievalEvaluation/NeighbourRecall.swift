import EmbeddingMath
import VectorSearch

/// The label-free metric at one size `m`: how much of each query's full-dimension neighbourhood the size-`m`
/// embedding recovers.
public struct NeighbourRecallResult: Sendable, Equatable {
    /// The prefix size `m`.
    public var dimension: Int
    /// Per query, `|top_k,m(q) ∩ top_k(q)| / k`, in query order.
    public var perQuery: [Double]

    /// The mean over queries (neighbour-recall@k).
    public var mean: Double { perQuery.isEmpty ? 0 : perQuery.reduce(0, +) / Double(perQuery.count) }

    /// The standard error of the mean: `s / √n`.
    public var standardError: Double {
        let n = Double(perQuery.count)
        guard n > 1 else { return 0 }
        let mu = mean
        return (perQuery.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (n - 1) / n).squareRoot()
    }
}

/// Evaluation without judgements: what a size `m` costs, measured on the corpus alone.
///
/// The queries are a seeded sample of corpus documents (or given query vectors). Each query's **reference** is its
/// exact top-`k` among the other documents by cosine on the **original full** vectors (or, with
/// ``referenceCentre``, on the centred ones); at each size `m` the corpus
/// and the queries go through the method's transform, are cut to `m` coordinates and re-normalised, and the
/// query's top-`k` there (itself excluded) is compared with the reference:
/// `neighbour-recall@k(m) = mean_q |top_k,m(q) ∩ top_k(q)| / k`. A method that keeps every full-dimension cosine
/// scores 1 at full size.
///
/// The corpus streams past once, block by block, for the reference and every size together, so memory is a
/// block plus the queries' lists whatever the corpus size; the searches run on ``/VectorSearch/ScoreGrid``'s fixed jobs
/// (results identical for any thread count).
public struct NeighbourRecallEvaluator: Sendable {
    /// Neighbours compared per query (`k`, 10 by default).
    public var k = 10
    /// Corpus documents sampled as queries.
    public var sampleSize = 1000
    /// Seed of the sample.
    public var seed: UInt64 = 0
    /// Rows per streamed block.
    public var blockRows = 16384
    /// A mean to remove before the reference cosines (`d` values; nil: the original vectors, the default). With
    /// `μ` the corpus mean of the L2-normalised rows, each reference vector is `(x/‖x‖ − μ) / ‖x/‖x‖ − μ‖`: the
    /// full-dimension neighbourhoods of the centred geometry that PCA and a centring adaptor retrieve in.
    public var referenceCentre: [Float]?

    /// An evaluator with the defaults.
    public init() {}

    /// The corpus rows used as queries: a seeded sample of `sampleSize` of `count` rows (all when fewer), sorted.
    public func sampledRows(count: Int) -> [Int] {
        guard sampleSize < count else { return Array(0 ..< count) }
        var generator = SeededGenerator(seed: seed &+ 7)
        var chosen = Set<Int>()
        // Floyd's algorithm: a uniform sample without shuffling the whole range.
        for j in count - sampleSize ..< count {
            let t = Int(generator.next() % UInt64(j + 1))
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }

    /// The rows the reference ranks with: L2-normalised, and with ``referenceCentre`` removed and normalised again.
    func referenceVectors(_ rows: Matrix) -> Matrix {
        rows.normalizedRows().recentred(on: referenceCentre)
    }

    /// The mean of the L2-normalised rows of `corpus` (`d` values, summed in double precision block by block, so
    /// the same for any thread count), for ``referenceCentre``.
    public static func normalisedMean(of corpus: RowSource, blockRows: Int = 16384) throws -> [Float] {
        var sum = [Double](repeating: 0, count: corpus.dimension)
        try corpus.forEachBlock(rows: blockRows) { _, block in
            let rows = block.normalizedRows()
            let d = rows.columns
            rows.storage.withUnsafeBufferPointer { v in
                for r in 0 ..< rows.rows {
                    for j in 0 ..< d { sum[j] += Double(v[r * d + j]) }
                }
            }
        }
        let n = Double(max(corpus.rowCount, 1))
        return sum.map { Float($0 / n) }
    }

    /// neighbour-recall@k of `pipeline`'s transform at every size in `dimensions`.
    ///
    /// - Parameters:
    ///   - corpus: the raw corpus vectors (`N × d`).
    ///   - pipeline: the method (truncation, PCA, an adaptor model); each block goes through
    ///     ``/EmbeddingMath/EmbeddingPipeline/transformed(_:)`` once and every size is ``/EmbeddingMath/EmbeddingPipeline/cut(_:to:)`` from it.
    ///   - dimensions: the sizes `m`, each at most the pipeline's output dimension.
    ///   - queries: raw query vectors (`n × d`) to use instead of sampled corpus documents (none is excluded from
    ///     its own list then).
    ///   - progress: called with the corpus rows done and in all.
    public func evaluate(corpus: RowSource, pipeline: EmbeddingPipeline, dimensions: [Int], queries: Matrix? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> [NeighbourRecallResult] {
        precondition(dimensions.allSatisfy { $0 >= 1 && $0 <= pipeline.outputDimension }, "Sizes outside 1...\(pipeline.outputDimension)")
        let count = corpus.rowCount
        let rows = queries == nil ? sampledRows(count: count) : []
        let raw = try queries ?? corpus.gather(rows)
        let own = queries == nil ? rows : [Int](repeating: -1, count: raw.rows)
        let slots = k + (queries == nil ? 1 : 0)
        let original = referenceVectors(raw)
        let transformed = pipeline.transformed(raw)
        let prefixes = dimensions.map { EmbeddingPipeline.cut(transformed, to: $0) }
        var reference = TopKAccumulator(queryCount: raw.rows, k: slots)
        var lists = dimensions.map { _ in TopKAccumulator(queryCount: raw.rows, k: slots) }
        try corpus.forEachBlock(rows: blockRows) { first, block in
            reference.add(queries: original, documents: referenceVectors(block), firstIndex: first)
            let adapted = pipeline.transformed(block)
            for (i, m) in dimensions.enumerated() {
                lists[i].add(queries: prefixes[i], documents: EmbeddingPipeline.cut(adapted, to: m), firstIndex: first)
            }
            progress?(first + block.rows, count)
        }
        let truth = reference.results()
        let expected = (0 ..< raw.rows).map { q in Set(truth.neighbours(of: q).filter { $0 != own[q] }.prefix(k)) }
        return dimensions.enumerated().map { i, m in
            let found = lists[i].results()
            return NeighbourRecallResult(dimension: m, perQuery: (0 ..< raw.rows).map { q in
                let hits = found.neighbours(of: q).filter { $0 != own[q] }.prefix(k).filter(expected[q].contains).count
                return Double(hits) / Double(max(expected[q].count, 1))
            })
        }
    }
}
