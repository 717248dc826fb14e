@testable import AdaptorCommands
import Foundation
import Matryoshka
import PostgresNIO
@testable import ServiceCommands
import Testing
import VectorDatabase
import _TestSupport

/// `load` and `search --postgres` against a real PostgreSQL with pgvector: `scripts/postgres run -- swift test
/// --filter PostgresCommandTests` (scripts/test does this) starts one and sets MATRYOSHKA_POSTGRES_URL; without
/// it the suite is skipped. Nothing here is mocked.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] != nil,
                "needs a PostgreSQL with pgvector: scripts/postgres run -- swift test --filter PostgresCommandTests"),
       .serialized)
struct PostgresCommandTests {
    static let url = ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] ?? ""
    static let plainURL = ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_PLAIN_URL"] ?? ""
    let dir = TemporaryDirectory()

    init() {
        // As matryoshka-services does at start: `search --postgres` runs here, not in another process.
        SearchCommand.postgresSearch = postgresRunText
    }

    /// 60 documents in 12-d around three directions, 6 queries; a small model fitted on them.
    func dataset() throws -> (folder: String, model: String) {
        var corpus = Fixtures.randomMatrix(rows: 60, columns: 12, seed: 11)
        for i in 0 ..< 60 { corpus[i, i % 3] += 2 }
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Fixtures.randomMatrix(rows: 6, columns: 12, seed: 12))
        let model = dir.file("m.safetensors")
        try FitCommand.parse(["--data", folder, "--out", model, "--k", "3", "--iterations", "10", "--hidden", "6",
                              "--validation-interval", "5", "--quiet"]).run()
        return (folder, model)
    }

    func load(_ arguments: [String]) async throws {
        let command = try LoadCommand.parse(arguments + ["--quiet"])
        try await command.run()
    }

    func search(_ arguments: [String]) async throws -> [[String]] {
        let output = dir.file("run-\(UUID().uuidString).tsv")
        let command = try SearchCommand.parse(arguments + ["--output", output, "--quiet"])
        try await command.run()
        return try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    /// Per query, the ranked document ids of a run.
    func ranking(_ run: [[String]]) -> [String: [String]] {
        Dictionary(grouping: run, by: { $0[0] }).mapValues { $0.sorted { Int($0[3])! < Int($1[3])! }.map { $0[2] } }
    }

    func count(_ table: String) async throws -> Int {
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url))
        let rows = try await database.run("SELECT count(*) FROM \(unescaped: try TableName(table).quoted)", "count")
        await database.close()
        return try rows.first?.decode(Int.self) ?? -1
    }

    @Test func exactSearchInTheDatabaseMatchesSearchInMemoryAndSoDoesTheFunnel() async throws {
        let (folder, model) = try dataset()
        try await load(["--adaptor", model, "--data", folder, "--dimension", "4", "--full", "--postgres", Self.url,
                        "--table", "exact_4", "--if-exists", "replace"])
        #expect(try await count("exact_4") == 60)
        let inDatabase = ranking(try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url, "--table", "exact_4"]))
        let inMemory = ranking(try await search(["--adaptor", model, "--data", folder, "--dimension", "4"]))
        #expect(inDatabase.count == 6 && inDatabase == inMemory)
        let funnelDatabase = ranking(try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url,
                                                       "--table", "exact_4", "--shortlist-size", "20"]))
        let funnelMemory = ranking(try await search(["--adaptor", model, "--data", folder, "--shortlist-dimension", "4",
                                                     "--shortlist-size", "20"]))
        #expect(funnelDatabase == funnelMemory)
    }

    @Test func halfvecWithAnHNSWIndexLoadsAndSearches() async throws {
        let (folder, model) = try dataset()
        try await load(["--adaptor", model, "--data", folder, "--dimension", "6", "--type", "halfvec", "--index", "hnsw",
                        "--postgres", Self.url, "--table", "half_6", "--if-exists", "replace"])
        let run = try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url, "--table", "half_6",
                                    "--ef-search", "100"])
        #expect(ranking(run).count == 6 && ranking(run).values.allSatisfy { $0.count == 10 })
        // A search with the wrong type, size or model is refused by the layout check.
        await #expect(throws: VectorDatabaseError.self) {
            _ = try await search(["--data", folder, "--postgres", Self.url, "--table", "half_6"])
        }
    }

    /// A bit(m) column of the model's binary codes with an HNSW bit_hamming_ops index: the same Hamming scores as
    /// `search --precision binary --scoring hamming` in memory (ties may fall in another order), and the funnel
    /// re-ranked by the full vectors in one statement is the in-memory `--rescore` ranking.
    @Test func bitCodesWithAnHNSWIndexScoreAsHammingSearchInMemory() async throws {
        let (folder, model) = try dataset()
        try await load(["--adaptor", model, "--data", folder, "--dimension", "10", "--type", "bit", "--full", "--index", "hnsw",
                        "--postgres", Self.url, "--table", "bits_10", "--if-exists", "replace"])
        func scores(_ run: [[String]]) -> [String: [String]] {
            Dictionary(grouping: run, by: { $0[0] }).mapValues { $0.sorted { Int($0[3])! < Int($1[3])! }.map { $0[4] } }
        }
        let inDatabase = try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url, "--table", "bits_10",
                                           "--ef-search", "100"])
        let inMemory = try await search(["--adaptor", model, "--data", folder, "--dimension", "10", "--precision", "binary",
                                         "--scoring", "hamming"])
        #expect(scores(inDatabase).count == 6 && scores(inDatabase) == scores(inMemory))
        let funnelDatabase = ranking(try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url,
                                                       "--table", "bits_10", "--shortlist-size", "60", "--ef-search", "100"]))
        let funnelMemory = ranking(try await search(["--adaptor", model, "--data", folder, "--dimension", "10",
                                                     "--precision", "binary", "--scoring", "hamming", "--rescore", "60"]))
        #expect(funnelDatabase.count == 6 && funnelDatabase == funnelMemory)
        // Raw vectors have no calibration to take signs after.
        await #expect(throws: VectorDatabaseError.noCalibration(fingerprint: "none")) {
            try await load(["--data", folder, "--dimension", "10", "--type", "bit", "--postgres", Self.url,
                            "--table", "bits_raw", "--if-exists", "replace"])
        }
    }

    @Test func existingTablesFailAppendOrAreReplaced() async throws {
        let (folder, model) = try dataset()
        let base = ["--adaptor", model, "--data", folder, "--postgres", Self.url, "--table", "exists_8"]
        try await load(base + ["--dimension", "8", "--if-exists", "replace"])
        await #expect(throws: VectorDatabaseError.tableExists(table: "exists_8", madeByLoad: true)) { try await load(base + ["--dimension", "8"]) }
        // Another size, then another model: refused, and the table keeps its rows.
        await #expect { try await load(base + ["--dimension", "4", "--if-exists", "append"]) } throws: { "\($0)".contains("8-d") }
        await #expect { try await load(["--data", folder, "--postgres", Self.url, "--table", "exists_8", "--dimension", "8",
                                        "--if-exists", "append"]) } throws: { "\($0)".contains("another model") }
        // Appending the same ids again breaks the primary key: one transaction, so nothing of it stays.
        await #expect { try await load(base + ["--dimension", "8", "--if-exists", "append"]) } throws: {
            "\($0)".contains("already exists") && "\($0)".contains("Nothing was written")
        }
        #expect(try await count("exists_8") == 60)
        try await load(base + ["--dimension", "4", "--if-exists", "replace"])
        #expect(try await count("exists_8") == 60)
    }

    /// A bad row at 50 (NaN) fails the load after three blocks were sent: the one transaction is rolled back and
    /// the table stays as it was; with --commit-every the committed blocks stay and --resume finishes the rest.
    @Test func aFailureMidLoadLeavesTheTableAsItWasOrResumable() async throws {
        let (folder, model) = try dataset()
        var corpus = try readNpy("\(folder)/corpus.f32.npy")
        try writeNpy(corpus, to: dir.file("good.npy"))
        corpus[50, 3] = .nan
        try writeNpy(corpus, to: dir.file("bad.npy"))
        dir.write((0 ..< 60).map { "d\($0)\n" }.joined(), to: "ids.txt")
        let base = ["--adaptor", model, "--ids", dir.file("ids.txt"), "--dimension", "4", "--postgres", Self.url,
                    "--block-rows", "16"]
        try await load(base + ["--input", dir.file("good.npy"), "--table", "midload", "--if-exists", "replace"])
        await #expect { try await load(base + ["--input", dir.file("bad.npy"), "--table", "midload", "--if-exists", "replace"]) }
            throws: { "\($0)".contains("row 50") && "\($0)".contains("Nothing was written") }
        #expect(try await count("midload") == 60)

        await #expect { try await load(base + ["--input", dir.file("bad.npy"), "--table", "resumable", "--if-exists", "replace",
                                              "--commit-every", "16"]) }
            throws: { "\($0)".contains("first 48 input rows are committed") && "\($0)".contains("--resume") }
        #expect(try await count("resumable") == 48)
        try await load(base + ["--input", dir.file("good.npy"), "--table", "resumable", "--if-exists", "append", "--resume"])
        #expect(try await count("resumable") == 60)

        // Duplicate ids in the input stop the load before anything is sent, naming the file and both lines.
        dir.write((0 ..< 60).map { "d\($0 == 7 ? 3 : $0)\n" }.joined(), to: "dup.txt")
        await #expect { try await load(["--adaptor", model, "--input", dir.file("good.npy"), "--ids", dir.file("dup.txt"),
                                        "--dimension", "4", "--postgres", Self.url, "--table", "dups"]) }
            throws: { "\($0)".contains("dup.txt") && "\($0)".contains("line 8") }
        let database = try await VectorDatabase.connect(try PostgresURL(Self.url))
        let made = try await database.describe(try TableName("dups")).exists
        await database.close()
        #expect(!made)
    }

    @Test func unreachableServerWrongPasswordAndMissingExtensionAreNamed() async throws {
        let (folder, model) = try dataset()
        let base = ["--adaptor", model, "--data", folder, "--table", "never", "--dimension", "4"]
        let parsed = try PostgresURL(Self.url)
        let wrong = "postgres://\(parsed.user):wrong-password@\(parsed.host):\(parsed.port)/\(parsed.database)"
        await #expect { try await load(base + ["--postgres", wrong]) } throws: { error in
            guard case VectorDatabaseError.authentication = error else { return false }
            return !"\(error)".contains("wrong-password")
        }
        await #expect { try await load(base + ["--postgres", "postgres://u:secret@127.0.0.1:1/x"]) } throws: { error in
            guard case VectorDatabaseError.unreachable = error else { return false }
            return !"\(error)".contains("secret")
        }
        if !Self.plainURL.isEmpty {
            await #expect { try await load(base + ["--postgres", Self.plainURL]) } throws: { error in
                guard case VectorDatabaseError.missingExtension = error else { return false }
                return "\(error)".contains("CREATE EXTENSION vector")
            }
        }
        await #expect { _ = try await search(["--adaptor", model, "--data", folder, "--postgres", Self.url, "--table", "no_such_table"]) }
            throws: { "\($0)".contains("does not exist") }
    }
}
