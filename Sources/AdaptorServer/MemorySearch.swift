import Matryoshka

/// `/v1/search` over a corpus embedded into memory at start (`EmbeddingIndex`: the documents and the queries
/// through the same pipeline), exact at the full size or by the funnel.
public struct MemorySearch: SearchBackend {
    /// Document ids, one per row.
    public let ids: [String]
    /// The corpus at the full size.
    public let index: EmbeddingIndex
    /// The default shortlist size `m'` (nil: exact unless a request asks) and length `K`.
    public let defaultShortlist: (dimension: Int?, size: Int)
    /// Funnel indexes by shortlist size, built on first use (each an `N × m'` tier over the same embeddings).
    private let funnels = Memo<Int, EmbeddingIndex>()

    /// `ids` and an index of the embedded corpus.
    public init(ids: [String], index: EmbeddingIndex, defaultShortlist: (dimension: Int?, size: Int) = (nil, 100)) {
        precondition(ids.count == index.count, "One id per row")
        self.ids = ids
        self.index = index
        self.defaultShortlist = defaultShortlist
    }

    public var documentCount: Int? { ids.count }
    public var tableName: String? { nil }

    public func search(_ raw: Matrix, _ parameters: SearchParameters, model: String) async throws(APIError) -> SearchResponse {
        let k = parameters.k
        let m = parameters.shortlistDimension ?? defaultShortlist.dimension
        let size = parameters.shortlistSize ?? max(k, min(defaultShortlist.size, ids.count))
        let searched = m.map { m in
            funnels.value(m) { index.withShortlist(dimension: m, size: size) }.withShortlistSize(size)
        } ?? index
        let results = searched.search(raw, k: k)
        var response = SearchResponse(
            hits: (0 ..< raw.rows).map { q in
                zip(results.neighbours(of: q), results.neighbourScores(of: q)).map { (id: ids[$0.0], score: $0.1) }
            },
            model: model, k: k)
        if let m {
            response.shortlistDimension = m
            response.shortlistSize = size
        }
        return response
    }
}
