import Matryoshka

/// `/v1/search` over a corpus embedded into memory at start (`EmbeddingIndex`: the documents and the queries
/// through the same pipeline), exact at the full size or by the funnel. The funnel's shortlist tiers (`N × m'` each)
/// are built at start for the sizes the server is told to serve, so no request can make memory grow.
public struct MemorySearch: SearchBackend {
    /// Document ids, one per row.
    public let ids: [String]
    /// The corpus at the full size.
    public let index: EmbeddingIndex
    /// The funnel at each served shortlist size `m'`.
    public let tiers: [Int: EmbeddingIndex]
    /// The shortlist size used when a request names none (nil: exact), and the default shortlist length `K`.
    public let defaultShortlist: (dimension: Int?, size: Int)

    /// `ids` and an index of the embedded corpus, with funnel tiers at `shortlistDimensions` (each in `1...m`; the
    /// default shortlist size, if any, among them).
    public init(ids: [String], index: EmbeddingIndex, shortlistDimensions: [Int] = [],
                defaultShortlist: (dimension: Int?, size: Int) = (nil, 100)) {
        precondition(ids.count == index.count, "One id per row")
        let sizes = Set(shortlistDimensions + (defaultShortlist.dimension.map { [$0] } ?? []))
        precondition(sizes.allSatisfy { (1 ... index.pipeline.dimension).contains($0) }, "Shortlist sizes within the index")
        self.ids = ids
        self.index = index
        tiers = Dictionary(uniqueKeysWithValues: sizes.map {
            ($0, index.withShortlist(dimension: $0, size: max(1, min(defaultShortlist.size, ids.count))))
        })
        self.defaultShortlist = defaultShortlist
    }

    public var documentCount: Int? { ids.count }
    public var tableName: String? { nil }

    public func search(_ raw: Matrix, _ parameters: SearchParameters, in context: SearchContext) async throws(APIError)
        -> SearchResponse
    {
        let k = parameters.k
        let m = parameters.shortlistDimension ?? defaultShortlist.dimension
        let size = parameters.shortlistSize ?? max(k, min(defaultShortlist.size, ids.count))
        var searched = index
        if let m {
            guard let tier = tiers[m] else {
                throw APIError.invalid("'shortlist_dimension' must be one of \(tiers.keys.sorted().map(String.init).joined(separator: ", ")) "
                                       + "(the shortlist sizes this server built at start, --shortlist-dimensions)"
                                       + (tiers.isEmpty ? "; it built none" : ""), param: "shortlist_dimension")
            }
            searched = tier.withShortlistSize(size)
        }
        let d = Double(index.pipeline.dimension), n = Double(ids.count), queries = Double(raw.rows)
        let flop = 2 * queries * (m.map { Double($0) * n + Double(size) * d } ?? n * d)
        guard flop <= context.limits.maxRequestFLOP else {
            throw APIError.invalid(String(format: "The search would take %.3g floating-point operations (%d queries over "
                                          + "%d documents); at most %.3g per request: send fewer queries%@.", flop, raw.rows,
                                          ids.count, context.limits.maxRequestFLOP, m == nil && !tiers.isEmpty ? ", or use the funnel" : ""),
                                   param: "vector", code: "request_too_expensive")
        }
        let index = searched
        let hits = try await context.hits(ids: ids) { () throws(PipelineError) in try index.search(checking: raw, k: k) }
        var response = SearchResponse(hits: hits, model: context.model, k: k)
        if let m {
            response.shortlistDimension = m
            response.shortlistSize = size
        }
        return response
    }
}
