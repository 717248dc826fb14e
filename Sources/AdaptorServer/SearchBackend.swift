import Matryoshka

/// One `/v1/search` request after parsing.
public struct SearchParameters: Sendable {
    /// Documents per query.
    public var k: Int
    /// The shortlist size `m'` asked for (in memory: the funnel; in a table: must be its stored `m`).
    public var shortlistDimension: Int?
    /// The shortlist length `K` asked for.
    public var shortlistSize: Int?

    /// Parameters from their parts.
    public init(k: Int, shortlistDimension: Int? = nil, shortlistSize: Int? = nil) {
        self.k = k
        self.shortlistDimension = shortlistDimension
        self.shortlistSize = shortlistSize
    }
}

/// What a search may use: the heavy-work queue, the request limits and the model's name for the answer.
public struct SearchContext: Sendable {
    let work: HeavyWork
    let limits: RequestLimits
    let model: String
}

/// Where `/v1/search` runs: the corpus embedded in memory (``MemorySearch``) or a pgvector table
/// (``PostgresSearch``). Either takes raw query vectors and embeds them as its documents were.
public protocol SearchBackend: Sendable {
    /// Documents held, when known (bounds `k`; reported by `/health`).
    var documentCount: Int? { get }
    /// The table searched, for a database backend (reported by `/health`).
    var tableName: String? { get }
    /// The best documents for each raw query row (`n × d`).
    func search(_ raw: Matrix, _ parameters: SearchParameters, in context: SearchContext) async throws(APIError) -> SearchResponse
}

extension SearchResponse {
    /// One result per query from rows of `(id, score)` hits.
    init(hits: [[(id: String, score: Float)]], model: String, k: Int) {
        self.init(data: hits.enumerated().map { q, found in
                      Result(index: q, results: found.map { Hit(id: $0.id, score: $0.score) })
                  },
                  model: model, k: k)
    }
}

extension SearchContext {
    /// Runs an in-memory `search` on the heavy-work pool and names its hits by `ids`; a query without a direction (or
    /// not finite) is a 400. The one road of the memory backends (``MemorySearch``, ``CodeSearch``).
    func hits(ids: [String], _ search: @escaping @Sendable () throws(PipelineError) -> SearchResults) async throws(APIError)
        -> [[(id: String, score: Float)]]
    {
        try await work.run { () throws(APIError) in
            let results: SearchResults
            do throws(PipelineError) {
                results = try search()
            } catch {
                throw APIError.noDirection(error, status: .badRequest)
            }
            return results.hits(ids: ids)
        }
    }
}

extension SearchResults {
    /// Each query's hits as `(id, score)`, best first, the unused slots left out: `ids[i]` names corpus row `i`.
    func hits(ids: [String]) -> [[(id: String, score: Float)]] {
        (0 ..< queryCount).map { q in
            zip(neighbours(of: q), neighbourScores(of: q)).map { (id: ids[$0.0], score: $0.1) }
        }
    }
}
