import Logging
import Matryoshka
import PostgresNIO
import VectorDatabase

/// `/v1/search` in PostgreSQL + pgvector on a table made by `matryoshka load`, through a connection pool
/// (PostgresNIO's `PostgresClient`, which the application runs as a service).
///
/// Queries are embedded by the table's own ``/VectorDatabase/StoredEmbedding`` (the same model, checked by fingerprint, at its
/// `m`); each request leases a connection, applies `hnsw.ef_search` / `ivfflat.probes` when set, and runs one
/// statement per query: exact order by the stored prefix (the table's index serves it) or the funnel (top `K` by
/// the prefix, re-ranked by the stored full vectors).
public struct PostgresSearch: SearchBackend {
    /// The pool.
    public let client: PostgresClient
    /// How the table's rows, and so its queries, are embedded.
    public let stored: StoredEmbedding
    /// The table's search statements.
    public let table: VectorTableSearch
    /// `hnsw.ef_search` for every search (nil: the server's default).
    public let efSearch: Int?
    /// `ivfflat.probes` for every search (nil: the server's default).
    public let probes: Int?
    /// Where the database is (for messages) and the longest a search waits for a connection or one statement
    /// (then 504; nil: no limit).
    public let deadline: (place: String, timeout: Duration)?
    let logger: Logger

    /// A backend over an opened table.
    public init(client: PostgresClient, stored: StoredEmbedding, table: VectorTableSearch, efSearch: Int?, probes: Int?,
                deadline: (place: String, timeout: Duration)? = nil, logger: Logger) {
        self.client = client
        self.stored = stored
        self.table = table
        self.efSearch = efSearch
        self.probes = probes
        self.deadline = deadline
        self.logger = logger
    }

    public var documentCount: Int? { nil }
    public var tableName: String? { table.table.description }

    public func search(_ raw: Matrix, _ parameters: SearchParameters, in context: SearchContext) async throws(APIError)
        -> SearchResponse
    {
        let layout = stored.layout
        if let m = parameters.shortlistDimension, m != layout.dimension {
            throw APIError.invalid("The table stores \(layout.dimension)-d prefixes; 'shortlist_dimension' must be "
                                   + "\(layout.dimension) or left out.", param: "shortlist_dimension")
        }
        if parameters.k > VectorTableSearch.maximumRows {
            throw APIError.invalid("Searching PostgreSQL gives at most \(VectorTableSearch.maximumRows) results per query "
                                   + "(pgvector's hnsw.max_scan_tuples); 'k' is \(parameters.k).", param: "k")
        }
        if let size = parameters.shortlistSize, size > VectorTableSearch.maximumRows {
            throw APIError.invalid("Searching PostgreSQL shortlists at most \(VectorTableSearch.maximumRows) rows per query "
                                   + "(pgvector's hnsw.max_scan_tuples); 'shortlist_size' is \(size).", param: "shortlist_size")
        }
        if parameters.shortlistSize != nil, layout.fullDimension == nil {
            throw APIError.invalid("The table has no full vectors to re-rank with (load it with --full); leave out "
                                   + "'shortlist_size'.", param: "shortlist_size")
        }
        let stored = self.stored, full = parameters.shortlistSize != nil
        let queries = try await context.work.run { () throws(APIError) in
            do throws(PipelineError) {
                return (try stored.prefix.checked(raw), full ? try stored.full?.checked(raw) : nil)
            } catch {
                throw APIError.noDirection(error, status: .badRequest)
            }
        }
        let hits: [[(id: String, score: Float)]]
        do {
            let (table, logger, efSearch, probes, deadline) = (self.table, self.logger, self.efSearch, self.probes, self.deadline)
            let client = self.client
            let leased = Fired()
            hits = try await withLeaseDeadline(leased) {
                try await client.withConnection { connection in
                    leased.set()
                    return try await table.search(queries, on: connection, logger: logger, k: parameters.k,
                                           shortlistSize: parameters.shortlistSize, efSearch: efSearch, probes: probes,
                                           deadline: deadline)
                }
            }
        } catch let error as VectorDatabaseError {
            if case .timedOut = error {
                logger.warning("database search timed out", metadata: ["error": "\(error)"])
                throw APIError(status: .gatewayTimeout, message: "\(error)", type: "upstream_error", code: "database_timeout")
            }
            if case .shortResult = error {
                throw APIError(status: .badGateway, message: "\(error)", type: "upstream_error", code: "database_short_result")
            }
            logger.warning("database search failed", metadata: ["error": "\(VectorDatabaseError.text(of: error))"])
            throw APIError(status: .badGateway, message: "The database search failed: \(VectorDatabaseError.text(of: error))",
                           type: "upstream_error", code: "database_error")
        } catch {
            logger.warning("database search failed", metadata: ["error": "\(VectorDatabaseError.text(of: error))"])
            throw APIError(status: .badGateway, message: "The database search failed: \(VectorDatabaseError.text(of: error))",
                           type: "upstream_error", code: "database_error")
        }
        var response = SearchResponse(hits: hits, model: context.model, k: parameters.k)
        response.table = table.table.description
        response.dimension = layout.dimension
        response.shortlistSize = parameters.shortlistSize
        return response
    }
}

extension PostgresSearch {
    /// Runs `body`, which leases a pooled connection; when no connection is had within the deadline (a database
    /// that is gone: the pool keeps trying), gives up with ``/VectorDatabase/VectorDatabaseError/timedOut(what:place:seconds:)``.
    /// Once leased, each statement has its own deadline (``/VectorDatabase/VectorTableSearch``).
    func withLeaseDeadline<T: Sendable>(_ leased: Fired, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let deadline else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: deadline.timeout)
                return nil
            }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
                if !leased.value {
                    group.cancelAll()
                    throw VectorDatabaseError.timedOut(what: "waiting for a connection", place: deadline.place,
                                                       seconds: deadline.timeout / .seconds(1))
                }
            }
            throw CancellationError()
        }
    }
}
