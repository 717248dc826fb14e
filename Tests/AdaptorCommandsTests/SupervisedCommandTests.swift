@testable import AdaptorCommands
import Matryoshka
import ArgumentParser
import Foundation
import Testing
import _TestSupport

@Suite struct SupervisedCommandTests {
    let dir = TemporaryDirectory()
    let small = ["--k", "3", "--batch-size", "8", "--iterations", "10", "--validation-interval", "5", "--hidden", "6",
                 "--query-batch-size", "4", "--document-anchors", "4", "--random-negatives", "4",
                 "--stage2-iterations", "20", "--stage2-validation-interval", "5", "--quiet"]

    func dataset(name: String = "tiny", withTest: Bool = true) throws -> String {
        var corpus = Fixtures.randomMatrix(rows: 40, columns: 12, seed: 1)
        for i in 0 ..< 40 { corpus[i, i % 3] += 2 }
        var queries = Fixtures.randomMatrix(rows: 12, columns: 12, seed: 2)
        for q in 0 ..< 12 { queries[q, q % 3] += 2 }
        var qrels = ["train": (0 ..< 9).map { q in ("q\(q)", "d\(q % 3 + 3)", 1) }]
        if withTest { qrels["test"] = (9 ..< 12).map { q in ("q\(q)", "d\(q % 3)", 1) } }
        return try Fixtures.writeDataset(in: dir, name: name, corpus: corpus, queries: queries, qrels: qrels)
    }

    @Test(arguments: [["--supervised"], ["--method", "search-adaptor"]])
    func testJudgementsAreNeverRead(mode: [String]) throws {
        let with = try dataset(name: "with"), without = try dataset(name: "without", withTest: false)
        let a = dir.file("a.safetensors"), b = dir.file("b.safetensors")
        try FitCommand.parse(["--data", with, "--out", a] + mode + small).run()
        try FitCommand.parse(["--data", without, "--out", b] + mode + small).run()
        let first = try #require(Fixtures.bytes(of: a)), second = try #require(Fixtures.bytes(of: b))
        #expect(first == second, "a folder without test qrels trains the same model, byte for byte")
        let model = try AdaptorModel.load(a)
        #expect(model.training.contains(#""train_split":"train""#))
        #expect(model.method == (mode == ["--supervised"] ? "matryoshka-adaptor" : "search-adaptor"))
    }

    @Test func stageTwoFromASavedModel() throws {
        let folder = try dataset()
        let stage1 = dir.file("s1.safetensors"), stage2 = dir.file("s2.safetensors")
        try FitCommand.parse(["--data", folder, "--out", stage1] + small).run()
        try FitCommand.parse(["--data", folder, "--supervised", "--init", stage1, "--out", stage2] + small).run()
        let training = try AdaptorModel.load(stage2).training
        #expect(training.contains(#""outcomes":{"stage2":"#), "only stage 2 ran: \(training)")
    }

    @Test func separateQueryFilesForAsymmetricEncoders() throws {
        let folder = try dataset()
        // Queries from "another encoder of the same space": here, a scaled copy in other files.
        var other = try readNpy("\(folder)/queries.f32.npy")
        for i in other.storage.indices { other.storage[i] *= 3 }
        let vectors = dir.file("other/q.npy")
        try writeNpy(other, to: vectors)
        let ids = dir.write((0 ..< 12).map { "q\($0)\n" }.joined(), to: "other/q.txt")
        let model = dir.file("asym.safetensors")
        try FitCommand.parse(["--data", folder, "--supervised", "--query-vectors", vectors, "--query-ids", ids,
                              "--out", model] + small).run()
        let json = try EvaluateCommand.parse(["--data", folder, "--method", "adaptor", "--adaptor", model,
                                              "--query-vectors", vectors, "--query-ids", ids, "--json"]).output()
        #expect(json.contains("\"judged_queries\" : 3"))
        let narrow = dir.file("other/narrow.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 12, columns: 8, seed: 4), to: narrow)
        #expect(throws: EmbeddingIOError.self) {
            try EvaluateCommand.parse(["--data", folder, "--query-vectors", narrow, "--query-ids", ids]).output()
        }
    }

    @Test func querySubsetRestrictsScoring() throws {
        let folder = try dataset()
        let subset = dir.write("q9\nq10\n", to: "subset.txt")
        let json = try EvaluateCommand.parse(["--data", folder, "--query-subset", subset, "--json"]).output()
        #expect(json.contains("\"judged_queries\" : 2"))
    }

    @Test func refusedCombinations() throws {
        let folder = try dataset()
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--supervised", "--train-split", "test", "--out", "x"]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--corpus", "x.npy", "--supervised", "--out", "x"]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--init", "m", "--out", "x"]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--query-vectors", "q.npy", "--out", "x"]) }
    }
}
