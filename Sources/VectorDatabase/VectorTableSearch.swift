import EmbeddingMath
import Logging
import PostgresNIO

/// Top-`k` search in a loaded table, run by PostgreSQL: `ORDER BY embedding <#> q LIMIT k` (pgvector's negative
/// inner product, so the best cosine of unit vectors comes first; an HNSW or IVFFlat index on `embedding` serves
/// it), or the funnel: the top `K` by the prefix in a subquery, re-ranked by the stored full vectors, in one
/// statement.
public struct VectorTableSearch: Sendable {
    public let table: TableName
    public let layout: VectorTableLayout

    public init(table: TableName, layout: VectorTableLayout) {
        self.table = table
        self.layout = layout
    }

    /// `SET hnsw.ef_search` and `SET ivfflat.probes` statements (nil: keep the server's defaults, 40 and 1); with
    /// the funnel, ef_search is raised to `K` when lower, since an HNSW scan returns at most ef_search rows.
    public static func settings(efSearch: Int?, probes: Int?, shortlistSize: Int? = nil) -> [PostgresQuery] {
        var statements: [PostgresQuery] = []
        let ef = shortlistSize.map { max(efSearch ?? 40, $0) } ?? efSearch
        if let ef { statements.append(PostgresQuery(unsafeSQL: "SET hnsw.ef_search = \(ef)")) }
        if let probes { statements.append(PostgresQuery(unsafeSQL: "SET ivfflat.probes = \(probes)")) }
        return statements
    }

    /// The statement for one query: `prefix` is its re-normalised first `m` adapted coordinates and `full` its
    /// full adapted vector (unit length), needed with `shortlistSize`. Rows: `(id text, score float8)`, best first.
    public func statement(prefix: ArraySlice<Float>, full: ArraySlice<Float>?, k: Int, shortlistSize: Int?) throws -> PostgresQuery {
        guard prefix.count == layout.dimension else {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "stores \(layout.dimension)-d prefixes; the query has \(prefix.count).")
        }
        let type = layout.type.rawValue
        guard let shortlistSize else {
            return """
                SELECT id, -(embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type)) FROM \(unescaped: table.quoted) \
                ORDER BY embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type) LIMIT \(k)
                """
        }
        guard let fullDimension = layout.fullDimension, let full, full.count == fullDimension else {
            throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                "has no full vectors to re-rank with; load it with --full to use a shortlist.")
        }
        return """
            SELECT id, -("full" <#> \(BinaryCopy.text(full))::\(unescaped: type)) FROM (\
            SELECT id, "full" FROM \(unescaped: table.quoted) \
            ORDER BY embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type) LIMIT \(shortlistSize)) AS shortlist \
            ORDER BY "full" <#> \(BinaryCopy.text(full))::\(unescaped: type), id LIMIT \(k)
            """
    }

    /// Runs ``statement(prefix:full:k:shortlistSize:)`` on `connection`.
    ///
    /// - Returns: ids and cosine scores (the inner product of the stored unit vectors), best first.
    public func search(on connection: PostgresConnection, logger: Logger, prefix: ArraySlice<Float>, full: ArraySlice<Float>?,
                       k: Int, shortlistSize: Int?) async throws -> [(id: String, score: Float)] {
        let query = try statement(prefix: prefix, full: full, k: k, shortlistSize: shortlistSize)
        var hits: [(id: String, score: Float)] = []
        hits.reserveCapacity(k)
        do {
            for try await (id, score) in try await connection.query(query, logger: logger).decode((String, Double).self) {
                hits.append((id, Float(score)))
            }
        } catch {
            throw VectorDatabaseError.server(what: "searching \(table)", message: VectorDatabaseError.text(of: error),
                                             rolledBack: nil)
        }
        return hits
    }

    /// The `k` best rows for each query of a batch that ``StoredEmbedding/embed(_:full:)`` made (`prefixes` `n × m`,
    /// and `full` `n × D` for the funnel), one statement per query on `connection`, after the search settings
    /// (``settings(efSearch:probes:shortlistSize:)``) are applied for the session.
    public func search(_ queries: (prefixes: Matrix, full: Matrix?), on connection: PostgresConnection, logger: Logger,
                       k: Int, shortlistSize: Int?, efSearch: Int?, probes: Int?,
                       progress: ((Int, Int) -> Void)? = nil) async throws -> [[(id: String, score: Float)]] {
        for statement in Self.settings(efSearch: efSearch, probes: probes, shortlistSize: shortlistSize) {
            do {
                try await connection.query(statement, logger: logger)
            } catch {
                throw VectorDatabaseError.server(what: "setting the index's search parameters",
                                                 message: VectorDatabaseError.text(of: error), rolledBack: nil)
            }
        }
        let (prefixes, full) = queries
        var results: [[(id: String, score: Float)]] = []
        results.reserveCapacity(prefixes.rows)
        for q in 0 ..< prefixes.rows {
            results.append(try await search(on: connection, logger: logger, prefix: prefixes.rowSlice(q), full: full?.rowSlice(q),
                                            k: k, shortlistSize: shortlistSize))
            progress?(q + 1, prefixes.rows)
        }
        return results
    }
}
