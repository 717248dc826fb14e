import Matryoshka

/// `/v1/search` over a corpus held as codes of its size-`m` embedding (`serve --precision`): the documents'
/// `N × bytesPerVector` bytes (plus their full vectors when a shortlist is re-scored), searched as `search
/// --precision` searches them (``/Matryoshka/EmbeddingCodeIndex``), so a request gets the same documents and scores as
/// that command.
///
/// A request's `shortlist_size` sets how many of the codes' best the full vectors re-score (the server must keep
/// them: `--rescore K`); `shortlist_dimension` does not apply (the codes are the shortlist).
public struct CodeSearch: SearchBackend {
    /// Document ids, one per row.
    public let ids: [String]
    /// The codes, and the full vectors when re-scoring.
    public let index: EmbeddingCodeIndex

    /// `ids` and the codes of the same rows.
    public init(ids: [String], index: EmbeddingCodeIndex) {
        precondition(ids.count == index.codes.codes.rows, "One id per row")
        self.ids = ids
        self.index = index
    }

    public var documentCount: Int? { ids.count }
    public var tableName: String? { nil }

    public func search(_ raw: Matrix, _ parameters: SearchParameters, in context: SearchContext) async throws(APIError)
        -> SearchResponse
    {
        let k = parameters.k
        if parameters.shortlistDimension != nil {
            throw APIError.invalid("'shortlist_dimension' does not apply: this server searches codes of size "
                                   + "\(index.pipeline.dimension) (serve --precision); 'shortlist_size' sets how many the full "
                                   + "vectors re-score", param: "shortlist_dimension")
        }
        if parameters.shortlistSize != nil, index.rescore == nil {
            throw APIError.invalid("'shortlist_size' needs the full vectors, which this server does not keep: start it "
                                   + "with --rescore K", param: "shortlist_size")
        }
        let size = parameters.shortlistSize.map { max($0, k) } ?? index.rescore.map { max($0.size, k) }
        let m = Double(index.pipeline.dimension), n = Double(ids.count), queries = Double(raw.rows)
        let d = Double(index.pipeline.outputDimension)
        let flop = 2 * queries * (m * n + Double(size ?? 0) * d)
        guard flop <= context.limits.maxRequestFLOP else {
            throw APIError.invalid(String(format: "The search would take %.3g operations (%d queries over %d documents); "
                                          + "at most %.3g per request: send fewer queries.", flop, raw.rows, ids.count,
                                          context.limits.maxRequestFLOP),
                                   param: "vector", code: "request_too_expensive")
        }
        let index = self.index
        let hits = try await context.hits(ids: ids) { () throws(PipelineError) in try index.search(raw, k: k, rescoreSize: size) }
        var response = SearchResponse(hits: hits, model: context.model, k: k)
        response.shortlistSize = size
        return response
    }
}
