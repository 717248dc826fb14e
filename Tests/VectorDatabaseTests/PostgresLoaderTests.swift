import EmbeddingMath
import Foundation
import PostgresNIO
import Testing
import VectorDatabase
import VectorSearch
import _TestSupport

/// The loader and the batch search as library calls, against a real PostgreSQL with pgvector (`scripts/postgres run
/// -- swift test --filter Postgres`, as scripts/test does; skipped without MATRYOSHKA_POSTGRES_URL).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] != nil,
                "needs a PostgreSQL with pgvector: scripts/postgres run -- swift test --filter Postgres"),
       .serialized)
struct PostgresLoaderTests {
    static let url = ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] ?? ""

    /// 40 raw 8-d rows, their ids, and the truncation form at m = 3 with full vectors.
    func data() throws -> (rows: Matrix, ids: [String], form: StoredEmbedding) {
        let rows = Fixtures.randomMatrix(rows: 40, columns: 8, seed: 21)
        let form = try StoredEmbedding(transform: IdentityTransform(dimension: 8), fingerprint: "none", dimension: 3,
                                       storeFull: true, type: .vector)
        return (rows, (0 ..< 40).map { "r\($0)" }, form)
    }

    @Test func aLoadedTableSearchesAsTheSameEmbeddingsInMemory() async throws {
        let (rows, ids, form) = try data()
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url))
        let table = try TableName("loader_3")
        var reported: [Int] = []
        let report = try await VectorLoader(table: table, ifExists: .replace, blockRows: 16)
            .load(rows, ids: ids, as: form, into: database) { done, _ in reported.append(done) }
        #expect(report.rows == 40 && report.resumedAfter == 0 && reported == [16, 32, 40])
        let layout = try await database.layout(of: table)
        #expect(layout == form.layout)
        // Queries embedded by the table's own form, searched in the database: the same order as in memory.
        let stored = try StoredEmbedding(table: table, layout: layout, transform: IdentityTransform(dimension: 8),
                                         fingerprint: "none")
        let queries = Fixtures.randomMatrix(rows: 4, columns: 8, seed: 22)
        let hits = try await VectorTableSearch(table: table, layout: layout).search(
            stored.embed(queries), on: database.connection, logger: database.logger, k: 5, shortlistSize: nil,
            efSearch: nil, probes: nil)
        let expected = FlatIndex(normalizedVectors: form.prefix(rows)).search(form.prefix(queries), k: 5)
        for q in 0 ..< 4 { #expect(hits[q].map(\.id) == expected.neighbours(of: q).map { ids[$0] }) }
        // Another transform is refused by the layout's fingerprint.
        #expect(throws: VectorDatabaseError.self) {
            try StoredEmbedding(table: table, layout: layout, transform: IdentityTransform(dimension: 8), fingerprint: "sha256:x")
        }
        await database.close()
    }

    @Test func aFailedLoadSaysWhatTheTableHolds() async throws {
        var (rows, ids, form) = try data()
        rows[30, 2] = .nan
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url))
        let table = try TableName("loader_failed")
        let bad = NaNRows(rows: rows, failingRow: 30)
        await #expect { try await VectorLoader(table: table, ifExists: .replace, commitEvery: 10, blockRows: 10)
            .load(bad, ids: ids, as: form, into: database) } throws: { error in
            guard let failure = error as? LoadFailure else { return false }
            return failure.state == .committedPrefix(table: "loader_failed", rows: 30)
        }
        let resumed = try await VectorLoader(table: table, ifExists: .append, blockRows: 10)
            .load(NaNRows(rows: data().rows, failingRow: nil), ids: ids, as: form, into: database, resume: true)
        #expect(resumed.resumedAfter == 30)
        await database.close()
    }
}

/// Rows that fail to read from `failingRow` on, as a file's bad row does.
struct NaNRows: RowSource {
    let rows: Matrix
    let failingRow: Int?
    var rowCount: Int { rows.rows }
    var dimension: Int { rows.columns }
    var sourceName: String { "nan.npy" }

    struct BadRow: Error {}

    func block(_ range: Range<Int>) throws -> Matrix {
        if let failingRow, range.contains(failingRow) { throw BadRow() }
        return rows.block(range)
    }

    func gather(_ indices: [Int]) throws -> Matrix { rows.gatherRows(indices) }
}
