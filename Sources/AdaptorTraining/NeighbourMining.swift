import EmbeddingMath
import VectorSearch

/// The `k` nearest neighbours of every corpus vector among the others, by cosine on the original vectors.
///
/// Exact search over the whole corpus (``/VectorSearch/FlatIndex``), with the vector itself removed from its own list.
/// Returns `N × k` neighbour indices, row-major.
///
/// - Parameters:
///   - corpus: `N × d` vectors (any norm).
///   - k: neighbours per vector (`k < N`).
public func mineNeighbours(corpus: Matrix, k: Int) -> [Int32] {
    precondition(k >= 1 && k < corpus.rows, "Need 1 <= k < N to mine neighbours, got k = \(k), N = \(corpus.rows)")
    var miner = NeighbourMiner(queries: corpus.normalizedRows(), corpusRows: Array(0 ..< corpus.rows), k: k)
    miner.add(normalizedDocuments: miner.queries, firstIndex: 0)
    return miner.neighbours().flatMap { $0.map(Int32.init) }
}

/// Mines the `k` nearest corpus documents of some query vectors (themselves corpus rows, or not) while the
/// corpus streams past in blocks of increasing row index, by cosine on the original vectors.
///
/// * **Exact** (no projection): every query is scored against every document, `2 Q N d` FLOP.
/// * **Shortlist** (a projection `P_m'`, the first `m'` principal axes): queries and documents are compared on
///   their re-normalised `m'`-coordinate projections, each query keeping its best `K` there; every document
///   that enters a query's shortlist (while it streams past, so a superset of the final shortlist) is scored
///   exactly on the full vectors, and the best `k` of those exact scores are the neighbours: `2 Q N m'` FLOP
///   plus `2 d` per shortlist entry. The first ``checkedQueries`` queries are also mined exactly in the same
///   pass, and ``recall()`` compares the two.
///
/// A query's own corpus row is never its neighbour. Ties break by corpus order; the work runs on
/// ``/VectorSearch/ScoreGrid``'s fixed jobs, so results are identical for any thread count.
public struct NeighbourMiner {
    /// Query vectors, L2-normalised, `Q × d`.
    public let queries: Matrix
    /// The corpus row of each query (excluded from its own list), or -1.
    public let corpusRows: [Int]
    /// Neighbours per query.
    public let k: Int
    /// `m' × d`: the shortlist's projection, or nil for exact mining.
    public let projection: Matrix?
    /// Shortlist length `K`.
    public let shortlist: Int
    /// Queries `0 ..< checkedQueries` are also mined exactly (shortlist mode only).
    public let checkedQueries: Int
    private let projectedQueries: Matrix?
    private var exact: TopKAccumulator
    private var prefix: TopKAccumulator?
    private var checked: TopKAccumulator?

    /// - Parameters:
    ///   - queries: unit-length rows, `Q × d`.
    ///   - corpusRows: each query's own corpus row (excluded), or -1.
    ///   - k: neighbours per query.
    ///   - projection: `m' × d` rows to shortlist on (nil: exact).
    ///   - shortlist: shortlist length per query when projecting.
    ///   - checkedQueries: queries also mined exactly, to measure the shortlist's recall.
    public init(queries: Matrix, corpusRows: [Int], k: Int, projection: Matrix? = nil, shortlist: Int = 100,
         checkedQueries: Int = 200) {
        precondition(corpusRows.count == queries.rows, "One corpus row per query")
        self.queries = queries
        self.corpusRows = corpusRows
        self.k = k
        self.projection = projection
        self.shortlist = max(shortlist, k)
        self.checkedQueries = projection == nil ? 0 : min(checkedQueries, queries.rows)
        // One more slot than asked for: a query's own row takes one when it streams past.
        exact = TopKAccumulator(queryCount: queries.rows, k: k + 1)
        if let projection {
            var projected = BLAS.matmul(queries, projection, transposeB: true)
            projected.normalizeRows()
            projectedQueries = projected
            prefix = TopKAccumulator(queryCount: queries.rows, k: self.shortlist + 1)
            checked = TopKAccumulator(queryCount: self.checkedQueries, k: k + 1)
        } else {
            projectedQueries = nil
        }
    }

    /// Floating-point operations per document streamed past.
    public var flopsPerDocument: Double {
        let d = Double(queries.columns), q = Double(queries.rows)
        guard let projection else { return 2 * q * d }
        let m = Double(projection.rows)
        return 2 * q * m + 2 * d * m + 2 * Double(checkedQueries) * d
    }

    /// Offers the documents `firstIndex ..< firstIndex + documents.rows` (unit-length rows, `b × d`).
    public mutating func add(normalizedDocuments documents: Matrix, firstIndex: Int) {
        guard let projection, let projectedQueries, var prefix else {
            exact.add(queries: queries, documents: documents, firstIndex: firstIndex)
            return
        }
        if checkedQueries > 0 {
            checked!.add(queries: queries.block(0 ..< checkedQueries), documents: documents, firstIndex: firstIndex)
        }
        var projected = BLAS.matmul(documents, projection, transposeB: true)
        projected.normalizeRows()
        let (shortlist, k, d) = (self.shortlist, self.k, queries.columns)
        let prefixFloors = prefix.thresholds(0 ..< queries.rows)
        let exactFloors = exact.thresholds(0 ..< queries.rows)
        let jobs = queries.storage.withUnsafeBufferPointer { qp in
            documents.storage.withUnsafeBufferPointer { dp in
                let full = UncheckedSendable((qp.baseAddress!, dp.baseAddress!))
                return ScoreGrid().run(
                    queries: projectedQueries, documents: projected,
                    start: { queryRange, _ in
                        ShortlistJob(offset: queryRange.lowerBound,
                                     shortlist: TopKAccumulator(queryCount: queryRange.count, k: shortlist + 1,
                                                                floors: Array(prefixFloors[queryRange])),
                                     exact: TopKAccumulator(queryCount: queryRange.count, k: k + 1,
                                                            floors: Array(exactFloors[queryRange])))
                    },
                    tile: { job, queryRange, first, count, scores in
                        let (qp, dp) = full.value
                        for i in 0 ..< queryRange.count {
                            let query = qp + (queryRange.lowerBound + i) * d
                            job.shortlist.offer(query: i, scores: scores + i * count, count: count,
                                                firstIndex: firstIndex + first) { document in
                                // Re-rank what enters the shortlist on the full vectors.
                                var score = Kernels.dot(query, dp + (document - firstIndex) * d, count: d)
                                job.exact.offer(query: i, scores: &score, count: 1, firstIndex: document)
                            }
                        }
                    })
            }
        }
        for job in jobs {
            prefix.merge(job.shortlist, queryOffset: job.offset)
            exact.merge(job.exact, queryOffset: job.offset)
        }
        self.prefix = prefix
    }

    /// Each query's `k` neighbours (corpus rows), best first, its own row left out.
    public func neighbours() -> [[Int]] {
        let results = exact.results()
        return (0 ..< queries.rows).map { q in Array(results.neighbours(of: q).filter { $0 != corpusRows[q] }.prefix(k)) }
    }

    /// Shortlist mode: the mean share of each checked query's exact `k` neighbours that the shortlist found.
    public func recall() -> Double? {
        guard let checked, checkedQueries > 0 else { return nil }
        let found = neighbours()
        let truth = checked.results()
        let shares = (0 ..< checkedQueries).map { q -> Double in
            let exactNeighbours = Set(truth.neighbours(of: q).filter { $0 != corpusRows[q] }.prefix(k))
            return Double(exactNeighbours.intersection(found[q]).count) / Double(max(exactNeighbours.count, 1))
        }
        return shares.reduce(0, +) / Double(shares.count)
    }
}

/// One shortlist-mining job's lists: a class, so that a document entering the shortlist can be offered to the
/// exact lists from inside the shortlist's insertion callback.
private final class ShortlistJob {
    let offset: Int
    var shortlist: TopKAccumulator
    var exact: TopKAccumulator

    init(offset: Int, shortlist: TopKAccumulator, exact: TopKAccumulator) {
        self.offset = offset
        self.shortlist = shortlist
        self.exact = exact
    }
}
