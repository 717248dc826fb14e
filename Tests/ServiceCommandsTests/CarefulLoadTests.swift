import Foundation
import Matryoshka
import PostgresNIO
import Testing
import VectorDatabase
import _TestSupport

/// The built `matryoshka-services` executable: `MATRYOSHKA_SERVICES_EXECUTABLE` when set (scripts/test points it at
/// the release build, whose speed the COPY trial needs), else beside the test bundle's folder, or in `.build/debug`.
var builtServices: String? {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("matryoshka-services").path
    let chosen = ProcessInfo.processInfo.environment["MATRYOSHKA_SERVICES_EXECUTABLE"]
    return ([chosen].compactMap { $0 } + [beside, ".build/debug/matryoshka-services"]).first(where: fileExists)
}

/// Runs `executable` with `arguments`, killing it after `limit` seconds.
/// - Returns: its exit status, standard output and standard error, and whether it was killed.
func runWithin(_ limit: Double, _ executable: String, _ arguments: [String]) throws
    -> (status: Int32, output: String, standardError: String, killed: Bool, seconds: Double)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let start = Date()
    try process.run()
    nonisolated(unsafe) var outText = Data(), errText = Data()
    let readers = [Thread { outText = output.fileHandleForReading.readDataToEndOfFile() },
                   Thread { errText = errors.fileHandleForReading.readDataToEndOfFile() }]
    readers.forEach { $0.start() }
    var killed = false
    while process.isRunning {
        if Date().timeIntervalSince(start) > limit {
            killed = true
            process.terminate()
            usleep(500_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        usleep(20_000)
    }
    process.waitUntilExit()
    while readers.contains(where: { !$0.isFinished }) { usleep(10_000) }
    return (process.terminationStatus, String(decoding: outText, as: UTF8.self), String(decoding: errText, as: UTF8.self),
            killed, Date().timeIntervalSince(start))
}

/// Careless loads and searches against a real PostgreSQL with pgvector (`scripts/postgres run -- swift test --filter
/// CarefulLoadTests`; skipped without it), through the built executable: COPY failures end at once at any block
/// size, searches give exactly k rows or say why, a table no load made is not dropped, rows of extreme magnitude
/// are stored with their direction.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] != nil,
                "needs a PostgreSQL with pgvector: scripts/postgres run -- swift test --filter Postgres"),
       .serialized)
struct CarefulLoadPostgresTests {
    static let url = ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] ?? ""
    let dir = TemporaryDirectory()

    func sql(_ statement: String) async throws -> [PostgresRow] {
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url))
        defer { Task { await database.close() } }
        return try await database.run(PostgresQuery(unsafeSQL: statement), "test")
    }

    func count(_ table: String) async throws -> Int {
        try await sql("SELECT count(*) FROM \(table)").first?.decode(Int.self) ?? -1
    }

    /// A duplicate id inside a COPY block (the table already holds the input) fails the load with PostgreSQL's own
    /// error within seconds, at block sizes up to the default 8,192 rows at 768-d (25 MB per block), and the one
    /// transaction leaves the table as it was; so does a rerun of a --commit-every load without --resume. The default
    /// block is tried three times: the release build without the fix hung in 6 of 8 such runs (BENCHMARKS.md, "Careless
    /// writes and loads").
    @Test func aCOPYThatFailsEndsAtOnceAtEveryBlockSize() async throws {
        let services = try #require(builtServices, "matryoshka-services is built beside the tests")
        let rows = 9000
        let input = dir.file("768.npy")
        try writeNpy(Fixtures.randomMatrix(rows: rows, columns: 768, seed: 30), to: input)
        let base = ["load", "--input", input, "--postgres", Self.url, "--table", "copy_fail", "--quiet"]
        let first = try runWithin(120, services, base + ["--if-exists", "replace"])
        try #require(first.status == 0, "\(first.standardError)")
        let trials: [(Int, [String])] = [(256, []), (2048, []), (8192, []), (8192, []), (8192, []), (8192, ["--commit-every", "8192"])]
        for (blockRows, extra) in trials {
            let again = try runWithin(60, services, base + ["--if-exists", "append", "--block-rows", String(blockRows)] + extra)
            #expect(!again.killed, "block \(blockRows) \(extra): still running after 60 s")
            #expect(again.status != 0 && again.standardError.contains("duplicate key value"), "\(again.standardError)")
            #expect(again.seconds < 30, "block \(blockRows): \(again.seconds) s")
            #expect(try await count("copy_fail") == rows)
        }
    }

    /// An HNSW scan returns at most hnsw.ef_search rows (40 by default): the search raises it to k, and beyond
    /// pgvector's 1,000 scans iteratively, so every query gets exactly k rows; an IVFFlat index that cannot give k
    /// rows with one probe (3 lists of about 1,000 rows; at k = 1,200 the planner still uses the index, at 2,500 it
    /// scans the table instead) is an error that says so, not a short run.
    @Test func searchesGiveExactlyKRowsOrSayWhy() async throws {
        let services = try #require(builtServices)
        var corpus = Fixtures.randomMatrix(rows: 3000, columns: 12, seed: 31)
        for i in 0 ..< 3000 { corpus[i, i % 4] += 1 }
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Fixtures.randomMatrix(rows: 5, columns: 12, seed: 32))
        for index in ["hnsw", "ivfflat"] {
            let loaded = try runWithin(120, services, ["load", "--data", folder, "--postgres", Self.url, "--table", "k_\(index)",
                                                      "--index", index, "--if-exists", "replace", "--quiet"])
            try #require(loaded.status == 0, "\(loaded.standardError)")
        }
        for k in [100, 1500] {
            let run = try runWithin(120, services, ["search", "--postgres", Self.url, "--table", "k_hnsw", "--data", folder,
                                                    "--k", String(k), "--quiet"])
            #expect(run.status == 0, "\(run.standardError)")
            let perQuery = Dictionary(grouping: run.output.split(separator: "\n"), by: { $0.split(separator: " ")[0] })
            #expect(perQuery.count == 5 && perQuery.values.allSatisfy { $0.count == k }, "k = \(k): \(perQuery.mapValues(\.count))")
        }
        let short = try runWithin(120, services, ["search", "--postgres", Self.url, "--table", "k_ivfflat", "--data", folder,
                                                  "--k", "1200", "--probes", "1", "--quiet"])
        #expect(short.status != 0 && short.standardError.contains("where 1200 were asked") && short.standardError.contains("--probes"),
                "\(short.standardError)")
        let above = try runWithin(60, services, ["search", "--postgres", Self.url, "--table", "k_hnsw", "--data", folder,
                                                 "--k", "20001", "--quiet"])
        #expect(above.status != 0 && above.standardError.contains("at most 20000"), "\(above.standardError)")
    }

    @Test func replaceDropsOnlyATableALoadMadeUnlessForced() async throws {
        let services = try #require(builtServices)
        _ = try await sql("DROP TABLE IF EXISTS unrelated")
        _ = try await sql("CREATE TABLE unrelated (x int)")
        _ = try await sql("INSERT INTO unrelated VALUES (1), (2)")
        let input = dir.file("small.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 20, columns: 8, seed: 33), to: input)
        let base = ["load", "--input", input, "--postgres", Self.url, "--table", "unrelated", "--quiet"]
        let failed = try runWithin(60, services, base)
        #expect(failed.status != 0 && failed.standardError.contains("was not made by matryoshka load")
                    && !failed.standardError.contains("pass --if-exists replace"), "\(failed.standardError)")
        let refused = try runWithin(60, services, base + ["--if-exists", "replace"])
        #expect(refused.status != 0 && refused.standardError.contains("--force"), "\(refused.standardError)")
        #expect(try await count("unrelated") == 2)
        let forced = try runWithin(60, services, base + ["--if-exists", "replace", "--force"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(try await count("unrelated") == 20)
    }

    @Test func rowsOfExtremeMagnitudeAreStoredWithTheirDirection() async throws {
        let services = try #require(builtServices)
        var rows = Fixtures.randomMatrix(rows: 4, columns: 8, seed: 34)
        for j in 0 ..< 8 { rows[0, j] = 1e30; rows[1, j] = -3e38; rows[2, j] = 0 }
        rows[2, 1] = 1e-45
        let input = dir.file("extreme.npy")
        try writeNpy(rows, to: input)
        let loaded = try runWithin(60, services, ["load", "--input", input, "--postgres", Self.url, "--table", "extreme",
                                                  "--dimension", "4", "--if-exists", "replace", "--quiet"])
        try #require(loaded.status == 0, "\(loaded.standardError)")
        for row in try await sql("SELECT id, vector_norm(embedding) FROM extreme ORDER BY id") {
            let (id, norm) = try row.decode((String, Double).self)
            #expect(abs(norm - 1) < 1e-4, "row \(id): length \(norm)")
        }
    }

    @Test func aStatementPastTheDeadlineClosesTheConnection() async throws {
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url), timeout: .seconds(1))
        let start = ContinuousClock.now
        await #expect { try await database.run("SELECT pg_sleep(20)", "sleeping") } throws: { error in
            guard case VectorDatabaseError.timedOut(let what, _, let seconds) = error else { return false }
            return what == "sleeping" && seconds == 1
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        await database.close()
    }
}

/// What needs no database: a server that never answers is given up on, and passwords are redacted in every form
/// a URL may take.
@Suite struct CarefulDatabaseURLTests {
    @Test func aServerThatNeverAnswersIsGivenUpOn() throws {
        let services = try #require(builtServices)
        // A socket that listens and never answers: the kernel accepts the connection, nobody speaks.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(listener, raw, length) == 0 && listen(listener, 16) == 0)
                try #require(getsockname(listener, raw, &length) == 0)
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let dir = TemporaryDirectory()
        let input = dir.file("q.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 2, columns: 4, seed: 1), to: input)
        dir.write("a\nb\n", to: "ids.txt")
        let run = try runWithin(60, services, ["search", "--postgres", "postgres://me:pw@127.0.0.1:\(port)/db", "--table", "t",
                                               "--query-vectors", input, "--query-ids", dir.file("ids.txt"),
                                               "--database-timeout", "2", "--quiet"])
        #expect(!run.killed && run.status != 0 && run.seconds < 15, "\(run.seconds) s: \(run.standardError)")
        #expect(run.standardError.contains("127.0.0.1:\(port)/db") && !run.standardError.contains("pw@"), "\(run.standardError)")
    }

    @Test(arguments: [
        "postgres:me:hunter2@db.example/app",
        "postgres//me:hunter2@db.example/app",
        "me:hunter2@db.example/app",
        "postgresql://me@db.example/app?password=hunter2&sslmode=require",
        "host=db.example password=hunter2 user=me",
        "host=db.example password='hunter2 x' user=me",
        "postgres://me:hunter2@db.example:99999/app",
    ])
    func passwordsAreRedactedInEveryForm(url: String) throws {
        let services = try #require(builtServices)
        let dir = TemporaryDirectory()
        let input = dir.file("x.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 2, columns: 4, seed: 1), to: input)
        let run = try runWithin(60, services, ["load", "--input", input, "--postgres", url, "--table", "t", "--quiet"])
        #expect(run.status != 0)
        #expect(!run.standardError.contains("hunter2") && run.standardError.contains("***"), "\(run.standardError)")
    }
}
