import EmbeddingMath

/// Exact cosine-similarity search over a whole corpus (faiss `IndexFlatIP` on normalised vectors).
///
/// Scores are computed tile by tile with `sgemm` on the fixed job grid of ``ScoreGrid`` and merged into
/// per-query top-`k` lists (``TopKAccumulator``), in parallel on ``/EmbeddingMath/Parallelism/threads`` workers with results
/// that do not depend on the thread count; memory stays bounded for any corpus size.
public struct FlatIndex: Sendable {
    /// The indexed vectors, L2-normalised, `count × dimension`.
    public let vectors: Matrix
    /// How the work is split (queries per `sgemm` block, documents per job and per tile).
    public var grid = ScoreGrid()

    /// Number of indexed vectors `N`.
    public var count: Int { vectors.rows }
    /// Vector dimension.
    public var dimension: Int { vectors.columns }

    /// Indexes `vectors` (`N × d`), normalising each row to unit length.
    public init(vectors: Matrix) {
        self.vectors = vectors.normalizedRows()
    }

    /// Indexes the re-normalised `m`-prefix of `vectors`: `x_i[:m] / ‖x_i[:m]‖`, the Matryoshka index at size `m`.
    public init(vectors: Matrix, prefix m: Int) {
        self.vectors = vectors.normalizedPrefix(columns: m)
    }

    /// Indexes rows that are already unit length (skips normalisation; the caller vouches for it).
    public init(normalizedVectors: Matrix) {
        self.vectors = normalizedVectors
    }

    /// The `k` most cosine-similar indexed vectors to each query row.
    ///
    /// - Parameters:
    ///   - queries: `n × d` query vectors (any norm; they are normalised here).
    ///   - k: neighbours per query; when `k > N` the extra slots are `-1`.
    /// - Returns: `n × k` indices and scores, best first, ties broken by corpus order.
    public func search(_ queries: Matrix, k: Int) -> SearchResults {
        search(unitQueries: queries.normalizedRows(), k: k)
    }

    /// ``search(_:k:)`` for query rows that are unit length already (an ``/EmbeddingMath/EmbeddingPipeline``'s output).
    func search(unitQueries queries: Matrix, k: Int) -> SearchResults {
        precondition(queries.columns == dimension,
                     "Query dimension \(queries.columns) differs from the index dimension \(dimension)")
        var top = TopKAccumulator(queryCount: queries.rows, k: k)
        top.add(queries: queries, documents: vectors, firstIndex: 0, grid: grid)
        return top.results()
    }
}

extension TopKAccumulator {
    /// Offers the cosine of every query row against every document row: documents `i` of `documents` is corpus
    /// index `firstIndex + i`, and both sides must be unit-length rows (`n × m` and `b × m`).
    ///
    /// Jobs of ``ScoreGrid`` run in parallel, each into its own lists floored at these lists' current
    /// thresholds, and are merged in job order. Streaming a corpus block by block in increasing index order
    /// through this gives exactly the top `k` of the whole corpus, ties by corpus order.
    public mutating func add(queries: Matrix, documents: Matrix, firstIndex: Int, grid: ScoreGrid = ScoreGrid(),
                             threads: Int = Parallelism.threads) {
        precondition(queries.rows == queryCount, "\(queries.rows) queries for \(queryCount) lists")
        let k = self.k
        let floors = thresholds(0 ..< queryCount)
        let jobs = grid.run(queries: queries, documents: documents, threads: threads,
                            start: { queryRange, _ in
                                (queryRange.lowerBound, TopKAccumulator(queryCount: queryRange.count, k: k,
                                                                         floors: Array(floors[queryRange])))
                            },
                            tile: { state, queryRange, first, count, scores in
                                for i in 0 ..< queryRange.count {
                                    state.1.offer(query: i, scores: scores + i * count, count: count,
                                                  firstIndex: firstIndex + first)
                                }
                            })
        for (offset, lists) in jobs { merge(lists, queryOffset: offset) }
    }
}
