import EmbeddingMath
import PostgresNIO

/// Top-`k` search in a loaded table, run by PostgreSQL: `ORDER BY embedding <#> q LIMIT k` (pgvector's negative
/// inner product, so the best cosine of unit vectors comes first; an HNSW or IVFFlat index on `embedding` serves
/// it), or the funnel: the top `K` by the prefix in a subquery, re-ranked by the stored full vectors, in one
/// statement.
public struct VectorTableSearch: Sendable {
    public let database: VectorDatabase
    public let table: TableName
    public let layout: VectorTableLayout

    public init(database: VectorDatabase, table: TableName, layout: VectorTableLayout) {
        self.database = database
        self.table = table
        self.layout = layout
    }

    /// Sets `hnsw.ef_search` and `ivfflat.probes` for this connection (nil: the server's defaults, 40 and 1).
    public func tune(efSearch: Int?, probes: Int?) async throws {
        if let efSearch {
            try await database.run(PostgresQuery(unsafeSQL: "SET hnsw.ef_search = \(efSearch)"), "setting hnsw.ef_search")
        }
        if let probes {
            try await database.run(PostgresQuery(unsafeSQL: "SET ivfflat.probes = \(probes)"), "setting ivfflat.probes")
        }
    }

    /// The `k` best rows for one query: `prefix` is the query's re-normalised first `m` adapted coordinates and
    /// `full` its full adapted vector (unit length), needed with `shortlistSize`.
    ///
    /// - Returns: ids and cosine scores (the inner product of the stored unit vectors), best first.
    public func search(prefix: ArraySlice<Float>, full: ArraySlice<Float>?, k: Int, shortlistSize: Int?) async throws
        -> [(id: String, score: Float)]
    {
        precondition(prefix.count == layout.dimension, "Query prefix has \(prefix.count) coordinates, the table \(layout.dimension)")
        let type = layout.type.rawValue
        let query: PostgresQuery
        if let shortlistSize {
            guard let fullDimension = layout.fullDimension, let full else {
                throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                    "has no full vectors to re-rank with; load it with --full to use --shortlist-size.")
            }
            precondition(full.count == fullDimension, "Full query has \(full.count) coordinates, the table \(fullDimension)")
            query = """
                SELECT id, -("full" <#> \(BinaryCopy.text(full))::\(unescaped: type)) FROM (\
                SELECT id, "full" FROM \(unescaped: table.quoted) \
                ORDER BY embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type) LIMIT \(shortlistSize)) AS shortlist \
                ORDER BY "full" <#> \(BinaryCopy.text(full))::\(unescaped: type), id LIMIT \(k)
                """
        } else {
            query = """
                SELECT id, -(embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type)) FROM \(unescaped: table.quoted) \
                ORDER BY embedding <#> \(BinaryCopy.text(prefix))::\(unescaped: type) LIMIT \(k)
                """
        }
        var hits: [(id: String, score: Float)] = []
        hits.reserveCapacity(k)
        do {
            for try await (id, score) in try await database.connection.query(query, logger: database.logger)
                .decode((String, Double).self)
            {
                hits.append((id, Float(score)))
            }
        } catch {
            throw VectorDatabaseError.server(what: "searching \(table)", message: VectorDatabaseError.text(of: error),
                                             rolledBack: nil)
        }
        return hits
    }
}
