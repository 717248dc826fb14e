import Logging
import PostgresNIO
import VectorDatabase

/// `/v1/search` run in PostgreSQL + pgvector on a table made by `matryoshka load`, through a connection pool
/// (PostgresNIO's `PostgresClient`, which the server runs as a service beside the HTTP application).
///
/// Each request leases a connection, applies `hnsw.ef_search` / `ivfflat.probes` when set, and runs one statement
/// per query: exact order by the stored prefix (the table's index serves it) or the funnel (top `K` by the
/// prefix, re-ranked by the stored full vectors).
public struct DatabaseSearch: Sendable {
    /// The pool; run it (`client.run()`) for as long as the server runs.
    public let client: PostgresClient
    /// The table, with its checked layout.
    public let search: VectorTableSearch
    /// `hnsw.ef_search` for every search (nil: the server's default).
    public let efSearch: Int?
    /// `ivfflat.probes` for every search (nil: the server's default).
    public let probes: Int?
    let logger: Logger

    public init(client: PostgresClient, search: VectorTableSearch, efSearch: Int?, probes: Int?,
                logger: Logger = Logger(label: "matryoshka.postgres")) {
        self.client = client
        self.search = search
        self.efSearch = efSearch
        self.probes = probes
        self.logger = logger
    }

    /// The `k` best rows for each query: `prefixes` (`n × m`, unit rows) and, for the funnel, `full` (`n × D`).
    func run(prefixes: [ArraySlice<Float>], full: [ArraySlice<Float>]?, k: Int, shortlistSize: Int?) async throws(APIError)
        -> [[(id: String, score: Float)]]
    {
        do {
            return try await client.withConnection { connection in
                for statement in VectorTableSearch.settings(efSearch: efSearch, probes: probes, shortlistSize: shortlistSize) {
                    try await connection.query(statement, logger: logger)
                }
                var results: [[(id: String, score: Float)]] = []
                for (q, prefix) in prefixes.enumerated() {
                    results.append(try await search.search(on: connection, logger: logger, prefix: prefix, full: full?[q],
                                                           k: k, shortlistSize: shortlistSize))
                }
                return results
            }
        } catch {
            logger.warning("database search failed", metadata: ["error": "\(VectorDatabaseError.text(of: error))"])
            throw APIError(status: .badGateway, message: "The database search failed: \(VectorDatabaseError.text(of: error))",
                           type: "upstream_error", code: "database_error")
        }
    }
}
