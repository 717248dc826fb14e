import EmbeddingMath

/// A corpus indexed with the pipeline that embedded it (faiss's `IndexPreTransform`): documents and queries go
/// through the same ``/EmbeddingMath/EmbeddingPipeline``, so a caller hands raw query vectors and cannot embed them differently.
///
/// Search is exact cosine at the pipeline's size `m` (``FlatIndex``), or the funnel (``TwoTierIndex``): a top-`K`
/// shortlist on the first `m'` coordinates, re-ranked at `m`. Memory: the `N × m` embeddings, plus `N × m'` for a
/// shortlist tier; the raw vectors are never held.
public struct EmbeddingIndex: Sendable {
    /// The pipeline of documents and queries alike.
    public let pipeline: EmbeddingPipeline
    /// The size-`m` embeddings of the corpus (`N × m`, unit rows).
    public let exact: FlatIndex
    /// The shortlist tier, when the index searches by the funnel.
    public let funnel: TwoTierIndex?

    /// Embeds every row of `corpus` (`N × d`, read in blocks) with `pipeline` and indexes the result.
    ///
    /// - Parameters:
    ///   - corpus: the raw corpus vectors, `N × d`.
    ///   - pipeline: the embedding of documents and, later, queries.
    ///   - blockRows: rows read and embedded at a time.
    ///   - progress: called with the rows done and in all.
    public init(corpus: RowSource, pipeline: EmbeddingPipeline, blockRows: Int = 16384,
                progress: ((Int, Int) -> Void)? = nil) throws {
        self.init(pipeline: pipeline,
                  exact: FlatIndex(normalizedVectors: try pipeline.embed(corpus, blockRows: blockRows, progress: progress)))
    }

    /// An index of rows that `pipeline` embedded already (`N × m`, unit rows; the caller vouches for both).
    public init(pipeline: EmbeddingPipeline, exact: FlatIndex, funnel: TwoTierIndex? = nil) {
        precondition(exact.dimension == pipeline.dimension, "An index of \(exact.dimension)-d rows for a size-\(pipeline.dimension) pipeline")
        precondition(funnel.map { $0.full.dimension == exact.dimension } ?? true, "The funnel re-ranks at another size")
        self.pipeline = pipeline
        self.exact = exact
        self.funnel = funnel
    }

    /// Documents `N`.
    public var count: Int { exact.count }

    /// The same index searched by the funnel: the top `shortlistSize` on the first `shortlistDimension`
    /// coordinates (`1 ≤ m' ≤ m`; an `N × m'` tier cut from these embeddings), re-ranked at `m`.
    public func withShortlist(dimension shortlistDimension: Int, size shortlistSize: Int) -> EmbeddingIndex {
        EmbeddingIndex(pipeline: pipeline, exact: exact,
                       funnel: TwoTierIndex(full: exact, shortlistDimension: shortlistDimension, shortlistSize: shortlistSize))
    }

    /// The `k` best documents for each raw query row (`n × d`), best first: `n × k` indices and cosine scores at
    /// size `m`, ties by corpus order, `-1` past the corpus's end.
    public func search(_ rawQueries: Matrix, k: Int) -> SearchResults {
        search(embedded: pipeline(rawQueries), k: k)
    }

    /// ``search(_:k:)``, refusing a query whose embedding has no direction or is not finite
    /// (``/EmbeddingMath/EmbeddingPipeline/checked(_:firstRow:)``).
    public func search(checking rawQueries: Matrix, k: Int) throws(PipelineError) -> SearchResults {
        search(embedded: try pipeline.checked(rawQueries), k: k)
    }

    /// ``search(_:k:)`` for queries this index's pipeline embedded (`n × m`, unit rows).
    func search(embedded queries: Matrix, k: Int) -> SearchResults {
        funnel?.search(queries, k: k) ?? exact.search(unitQueries: queries, k: k)
    }
}

extension EmbeddingIndex {
    /// ``search(_:k:)`` in blocks of `blockRows` queries (the same results), calling `progress` with the queries
    /// done and in all after each block.
    public func search(_ rawQueries: Matrix, k: Int, blockRows: Int, progress: ((Int, Int) -> Void)?) -> SearchResults {
        precondition(blockRows > 0, "Blocks need a positive size")
        var indices: [Int32] = [], scores: [Float] = []
        indices.reserveCapacity(rawQueries.rows * k)
        scores.reserveCapacity(rawQueries.rows * k)
        for first in stride(from: 0, to: rawQueries.rows, by: blockRows) {
            let rows = first ..< min(first + blockRows, rawQueries.rows)
            let results = search(rawQueries.gatherRows(rows), k: k)
            indices.append(contentsOf: results.indices)
            scores.append(contentsOf: results.scores)
            progress?(rows.upperBound, rawQueries.rows)
        }
        return SearchResults(queryCount: rawQueries.rows, k: k, indices: indices, scores: scores)
    }
}

extension EmbeddingIndex {
    /// The same funnel with shortlist length `K` (the tier is shared, not rebuilt); an exact index is returned as
    /// it is.
    public func withShortlistSize(_ size: Int) -> EmbeddingIndex {
        guard var funnel else { return self }
        funnel.shortlistSize = size
        return EmbeddingIndex(pipeline: pipeline, exact: exact, funnel: funnel)
    }
}
