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

    /// The most rows a search may ask for, as `k` or as the funnel's shortlist `K`: pgvector's default
    /// `hnsw.max_scan_tuples`, the most an iterative HNSW scan visits.
    public static let maximumRows = 20_000

    /// The session settings for a search of `k` rows (and a shortlist of `K`), every one set or reset so that a
    /// pooled connection carries nothing from an earlier request:
    /// - `hnsw.ef_search`: `efSearch`, raised to `max(k, K)` (an HNSW scan returns at most ef_search rows; for a
    ///   `bit` table `max(k, 4K)`, since its shortlist keeps every row tied with the `K`-th and Hamming order is
    ///   coarse) up to pgvector's limit of 1,000; reset to the server's default (40) when neither is given nor needed.
    /// - `hnsw.iterative_scan = strict_order` when more than 1,000 rows are needed (pgvector 0.8: the scan goes on
    ///   until enough rows are found, in exact order), reset otherwise.
    /// - `ivfflat.probes`: `probes`, or the server's default (1).
    /// - `statement_timeout`: the server gives up a statement after `timeout` (nil: the server's default).
    public static func settings(efSearch: Int?, probes: Int?, k: Int = 0, shortlistSize: Int? = nil,
                                type: VectorType = .vector, timeout: Duration? = nil) -> [PostgresQuery] {
        let needed = max(k, (shortlistSize ?? 0) * (type == .bit ? 4 : 1))
        var statements: [String] = []
        if efSearch == nil, needed <= 40 {
            statements.append("RESET hnsw.ef_search")
        } else {
            statements.append("SET hnsw.ef_search = \(min(1000, max(efSearch ?? 40, needed)))")
        }
        statements.append(needed > 1000 ? "SET hnsw.iterative_scan = strict_order" : "RESET hnsw.iterative_scan")
        statements.append(probes.map { "SET ivfflat.probes = \($0)" } ?? "RESET ivfflat.probes")
        if let timeout {
            statements.append("SET statement_timeout = \(max(1, Int((timeout / .milliseconds(1)).rounded())))")
        }
        return statements.map { PostgresQuery(unsafeSQL: $0) }
    }

    /// The statement for one query: `prefix` is its size-`m` embedding as the table stores it (the re-normalised first
    /// `m` adapted coordinates; for `bit`, the binary code's `±1`) and `full` its full adapted vector (unit length),
    /// needed with `shortlistSize`. Rows: `(id text, score float8)`, best first; a `bit` table's score is the `±1`
    /// inner product `m − 2 · hamming`, as the in-memory Hamming search (`CodeIndex`) scores it, and its funnel re-ranks
    /// by the `vector` full column every row within the `K`-th smallest distance (`FETCH FIRST K ROWS WITH TIES`).
    public func statement(prefix: ArraySlice<Float>, full: ArraySlice<Float>?, k: Int, shortlistSize: Int?) throws -> PostgresQuery {
        guard prefix.count == layout.dimension else {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "stores \(layout.dimension)-d prefixes; the query has \(prefix.count).")
        }
        let type = layout.type.rawValue + (layout.type == .bit ? "(\(layout.dimension))" : "")
        let distance = layout.type.distanceOperator
        let query = BinaryCopy.text(prefix, as: layout.type)
        let score = layout.type == .bit ? "(\(layout.dimension) - 2 * (embedding \(distance) $1::\(type)))::float8"
            : "-(embedding \(distance) $1::\(type))"
        guard let shortlistSize else {
            var bindings = PostgresBindings()
            bindings.append(query)
            return PostgresQuery(unsafeSQL: "SELECT id, \(score) FROM \(table.quoted) ORDER BY embedding \(distance) $1::\(type) "
                                 + "LIMIT \(k)", binds: bindings)
        }
        guard let fullDimension = layout.fullDimension, let full, full.count == fullDimension else {
            throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                "has no full vectors to re-rank with; load it with --full to use a shortlist.")
        }
        let fullType = layout.type.fullType.rawValue
        // Hamming distances are integers: the shortlist keeps every row tied with the K-th, as the funnel in memory does.
        let cut = layout.type == .bit ? "FETCH FIRST \(shortlistSize) ROWS WITH TIES" : "LIMIT \(shortlistSize)"
        var bindings = PostgresBindings()
        bindings.append(query)
        bindings.append(BinaryCopy.text(full))
        return PostgresQuery(unsafeSQL: """
            SELECT id, -("full" <#> $2::\(fullType)) FROM (\
            SELECT id, "full" FROM \(table.quoted) \
            ORDER BY embedding \(distance) $1::\(type) \(cut)) AS shortlist \
            ORDER BY "full" <#> $2::\(fullType), id LIMIT \(k)
            """, binds: bindings)
    }

    /// Runs ``statement(prefix:full:k:shortlistSize:)`` on `connection`; when fewer than `k` rows come back,
    /// checks whether the table holds `k` and, if so, throws
    /// ``VectorDatabaseError/shortResult(table:query:returned:k:advice:)`` rather than return a short list.
    ///
    /// - Returns: ids and cosine scores (the inner product of the stored unit vectors), best first.
    public func search(on connection: PostgresConnection, logger: Logger, prefix: ArraySlice<Float>, full: ArraySlice<Float>?,
                       k: Int, shortlistSize: Int?, query: Int = 0) async throws -> [(id: String, score: Float)] {
        let statement = try statement(prefix: prefix, full: full, k: k, shortlistSize: shortlistSize)
        var hits: [(id: String, score: Float)] = []
        hits.reserveCapacity(k)
        do {
            for try await (id, score) in try await connection.query(statement, logger: logger).decode((String, Double).self) {
                hits.append((id, Float(score)))
            }
            if hits.count < k {
                var available = 0
                let counted = "SELECT count(*) FROM (SELECT 1 FROM \(table.quoted) LIMIT \(k)) AS rows"
                for try await n in try await connection.query(PostgresQuery(unsafeSQL: counted), logger: logger).decode(Int.self) {
                    available = n
                }
                if available >= k {
                    throw VectorDatabaseError.shortResult(table: table.description, query: query, returned: hits.count, k: k,
                        advice: "an IVFFlat index returns only the rows of the lists it probes (raise --probes), and an "
                            + "HNSW index at most hnsw.ef_search rows (raise --ef-search).")
                }
            }
        } catch let error as VectorDatabaseError {
            throw error
        } catch {
            throw VectorDatabaseError.server(what: "searching \(table)", message: VectorDatabaseError.text(of: error),
                                             rolledBack: nil)
        }
        return hits
    }

    /// The `k` best rows for each query of a batch that ``StoredEmbedding/embed(_:full:firstRow:)`` made (`prefixes`
    /// `n × m`, and `full` `n × D` for the funnel), one statement per query on `connection`, after the session
    /// settings of ``settings(efSearch:probes:k:shortlistSize:type:timeout:)``.
    ///
    /// - Parameters:
    ///   - queries: the embedded queries: prefixes `n × m`, and full vectors `n × D` with a shortlist.
    ///   - connection: the connection the session settings and statements run on.
    ///   - logger: PostgresNIO's logger.
    ///   - k: rows per query (at most ``maximumRows``).
    ///   - shortlistSize: the funnel's `K` (nil: exact order by the prefix).
    ///   - efSearch: `hnsw.ef_search` asked (raised to `k` and `K`).
    ///   - probes: `ivfflat.probes` (nil: the server's default).
    ///   - deadline: where the server is (for messages) and the longest one statement may take; past it the
    ///     connection is closed and ``VectorDatabaseError/timedOut(what:place:seconds:)`` thrown (nil: no limit).
    ///   - progress: queries done and in all.
    /// - Throws: ``VectorDatabaseError``.
    public func search(_ queries: (prefixes: Matrix, full: Matrix?), on connection: PostgresConnection, logger: Logger,
                       k: Int, shortlistSize: Int?, efSearch: Int?, probes: Int?,
                       deadline: (place: String, timeout: Duration)? = nil,
                       progress: ((Int, Int) -> Void)? = nil) async throws -> [[(id: String, score: Float)]] {
        guard max(k, shortlistSize ?? 0) <= Self.maximumRows else {
            throw VectorDatabaseError.layoutMismatch(table: table.description, problem:
                "can give at most \(Self.maximumRows) rows per query through pgvector (its hnsw.max_scan_tuples); ask for fewer.")
        }
        func limited<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
            guard let deadline else { return try await body() }
            return try await VectorDatabase.within(what, place: deadline.place, timeout: deadline.timeout,
                                                   closing: connection, body)
        }
        for statement in Self.settings(efSearch: efSearch, probes: probes, k: k, shortlistSize: shortlistSize, type: layout.type,
                                       timeout: deadline?.timeout) {
            do {
                _ = try await limited("setting the search parameters") { try await connection.query(statement, logger: logger) }
            } catch let error as VectorDatabaseError {
                throw error
            } catch {
                throw VectorDatabaseError.server(what: "setting the index's search parameters",
                                                 message: VectorDatabaseError.text(of: error), rolledBack: nil)
            }
        }
        let (prefixes, full) = queries
        var results: [[(id: String, score: Float)]] = []
        results.reserveCapacity(prefixes.rows)
        for q in 0 ..< prefixes.rows {
            results.append(try await limited("searching \(table)") {
                try await search(on: connection, logger: logger, prefix: prefixes.rowSlice(q), full: full?.rowSlice(q),
                                 k: k, shortlistSize: shortlistSize, query: q)
            })
            progress?(q + 1, prefixes.rows)
        }
        return results
    }
}
