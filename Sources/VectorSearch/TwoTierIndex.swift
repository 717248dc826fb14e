import EmbeddingMath

/// Adaptive retrieval (the funnel): an exact top-`K` shortlist on the first `m` coordinates, re-ranked by cosine on
/// the full vectors, top `k` kept.
///
/// For adapted Matryoshka vectors the size-`m` cosine orders documents almost as the full one does, so the true
/// top `k` is nearly always inside a shortlist of `K ≫ k`: the cost is `2 N m` FLOP per query for the shortlist
/// plus `2 K D` for the re-ranking, against `2 N D` for exact search at the full dimension `D`.
public struct TwoTierIndex: Sendable {
    /// The full vectors, L2-normalised, `N × D`.
    public let full: FlatIndex
    /// The shortlist tier: the re-normalised `m`-prefixes, `N × m`.
    public let shortlist: FlatIndex
    /// Shortlist length `K` (at least `k` of a search).
    public var shortlistSize: Int

    /// Both tiers of `vectors` (`N × D`, any norm): prefixes of `shortlistDimension` coordinates.
    public init(vectors: Matrix, shortlistDimension m: Int, shortlistSize: Int) {
        precondition(m >= 1 && m <= vectors.columns, "Shortlist dimension \(m) outside 1...\(vectors.columns)")
        precondition(shortlistSize >= 1, "Shortlist size must be positive")
        full = FlatIndex(vectors: vectors)
        shortlist = FlatIndex(vectors: vectors, prefix: m)
        self.shortlistSize = shortlistSize
    }

    /// Both tiers over an index of full vectors that exists already (shares its storage).
    public init(full: FlatIndex, shortlistDimension m: Int, shortlistSize: Int) {
        precondition(m >= 1 && m <= full.dimension, "Shortlist dimension \(m) outside 1...\(full.dimension)")
        self.full = full
        shortlist = FlatIndex(normalizedVectors: full.vectors.normalizedPrefix(columns: m))
        self.shortlistSize = shortlistSize
    }

    /// The shortlist's prefix size `m`.
    public var shortlistDimension: Int { shortlist.dimension }

    /// The `k` best documents for each query row (`n × D`, any norm) by full cosine among its size-`m` top `K`.
    ///
    /// - Returns: `n × k` indices and full-dimension scores, best first, ties broken by corpus order; `-1` where
    ///   the shortlist holds fewer than `k` documents (always past position `K` when `k > K`).
    public func search(_ queries: Matrix, k: Int) -> SearchResults {
        precondition(queries.columns == full.dimension,
                     "Query dimension \(queries.columns) differs from the index dimension \(full.dimension)")
        let candidates = shortlist.search(queries.normalizedPrefix(columns: shortlistDimension), k: shortlistSize)
        let unit = queries.normalizedRows()
        let d = full.dimension, width = candidates.k
        let chunk = 64
        let lists = Parallelism.map(jobs: (queries.rows + chunk - 1) / chunk) { job, _ in
            let range = job * chunk ..< min((job + 1) * chunk, queries.rows)
            var top = TopKAccumulator(queryCount: range.count, k: k)
            unit.storage.withUnsafeBufferPointer { q in
                full.vectors.storage.withUnsafeBufferPointer { x in
                    for (i, query) in range.enumerated() {
                        for j in 0 ..< width {
                            let document = Int(candidates.indices[query * width + j])
                            guard document >= 0 else { break }
                            var score = Kernels.dot(q.baseAddress! + query * d, x.baseAddress! + document * d, count: d)
                            top.offer(query: i, scores: &score, count: 1, firstIndex: document)
                        }
                    }
                }
            }
            return (range.lowerBound, top)
        }
        var all = TopKAccumulator(queryCount: queries.rows, k: k)
        for (offset, top) in lists { all.merge(top, queryOffset: offset) }
        return all.results()
    }
}
