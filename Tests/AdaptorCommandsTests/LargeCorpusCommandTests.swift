@testable import AdaptorCommands
import ArgumentParser
import Matryoshka
import Foundation
import Testing
import _TestSupport

/// The corpus-only paths (`--corpus X.npy`): label-free evaluation, search with given queries, fit on a sample,
/// and their errors.
@Suite struct LargeCorpusCommandTests {
    let dir = TemporaryDirectory()

    /// 300 rows in 12-d around three directions.
    func corpusFile(_ name: String = "x.npy", rows: Int = 300) throws -> String {
        var corpus = Fixtures.randomMatrix(rows: rows, columns: 12, seed: 5)
        for i in 0 ..< rows { corpus[i, i % 3] += 2 }
        let path = dir.file(name)
        try writeNpy(corpus, to: path)
        return path
    }

    /// A small model fitted on `corpus` (a few iterations: its weights do not matter here).
    func fitModel(_ corpus: String, _ name: String = "m.safetensors") throws -> String {
        let model = dir.file(name)
        try FitCommand.parse(["--corpus", corpus, "--out", model, "--k", "3", "--iterations", "10", "--hidden", "6",
                              "--validation-interval", "5", "--quiet"]).run()
        return model
    }

    func results(_ json: String) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(object["results"] as? [[String: Any]])
    }

    @Test func labelFreeEvaluationOfEveryMethodFromACorpusFile() throws {
        let corpus = try corpusFile()
        let model = try fitModel(corpus)
        for method in [["truncate"], ["pca"], ["adaptor", "--adaptor", model]] {
            let json = try EvaluateCommand.parse(["--corpus", corpus, "--method", method[0], "--json", "--dims", "2,6,12",
                                                  "--neighbour-sample", "50", "--quiet"] + method.dropFirst()).output()
            let rows = try results(json)
            #expect(rows.map { $0["dimension"] as? Int } == [2, 6, 12])
            let recall = rows.compactMap { $0["neighbour-recall@10"] as? Double }
            #expect(recall.count == 3 && recall.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(method[0]): \(json)")
            #expect(rows.allSatisfy { ($0["neighbour-recall@10_stderr"] as? Double).map { $0 >= 0 } == true })
            #expect(rows.allSatisfy { $0["ndcg@10"] == nil }, "no judgements, no judged metrics")
            if method[0] != "pca" { #expect(recall[2] == 1, "\(method[0]) keeps every full-dimension cosine") }
        }
    }

    @Test func theReferenceGeometryIsChosenAndReported() throws {
        // Rows around three directions plus a direction every row shares: an anisotropic corpus.
        var rows = Fixtures.randomMatrix(rows: 300, columns: 12, seed: 5)
        for i in 0 ..< 300 { rows[i, i % 3] += 2; rows[i, 11] += 3 }
        let corpus = dir.file("anisotropic.npy")
        try writeNpy(rows, to: corpus)
        func run(_ extra: [String]) throws -> [String: Any] {
            let json = try EvaluateCommand.parse(["--corpus", corpus, "--method", "pca", "--json", "--dims", "12",
                                                  "--neighbour-sample", "50", "--quiet"] + extra).output()
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        }
        let original = try run([]), centred = try run(["--reference", "centred"]), auto = try run(["--reference", "auto"])
        #expect(original["neighbour_reference"] as? String == "original" && original["mean_cosine"] == nil)
        #expect(centred["neighbour_reference"] as? String == "centred")
        // The shared direction puts the mean cosine between documents far above 0.2.
        let meanCosine = try #require(auto["mean_cosine"] as? Double)
        #expect(meanCosine >= 0.2 && auto["neighbour_reference"] as? String == "centred")
        // PCA at full size is a rotation of the centred vectors: it finds the centred reference (to near-ties, as
        // its mean is accumulated apart from the reference's).
        let recall = { (object: [String: Any]) in ((object["results"] as? [[String: Any]])?.first?["neighbour-recall@10"] as? Double) }
        #expect(try #require(recall(centred)) >= 0.99)
        #expect(try #require(recall(original)) < 1)
        #expect(throws: (any Error).self) { _ = try EvaluateCommand.parse(["--corpus", corpus, "--reference", "mean"]) }
    }

    @Test func judgedAndLabelFreeMetricsTogetherWithADataSet() throws {
        var corpus = Fixtures.randomMatrix(rows: 60, columns: 12, seed: 1)
        for i in 0 ..< 60 { corpus[i, i % 3] += 2 }
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Fixtures.randomMatrix(rows: 5, columns: 12, seed: 2),
                                               qrels: ["test": [("q0", "d1", 1), ("q1", "d2", 1)]])
        let rows = try results(try EvaluateCommand.parse(["--data", folder, "--method", "truncate", "--json",
                                                          "--dims", "4,12", "--quiet"]).output())
        #expect(rows.allSatisfy { $0["ndcg@10"] is Double && $0["neighbour-recall@10"] is Double })
    }

    @Test func searchOverACorpusFileWithGivenQueries() throws {
        let corpus = try corpusFile()
        let queries = Fixtures.randomMatrix(rows: 4, columns: 12, seed: 8)
        let queryPath = dir.file("q.npy")
        try writeNpy(queries, to: queryPath)
        let ids = dir.write("a\nb\nc\nd\n", to: "q.txt")
        let run = try SearchCommand.parse(["--corpus", corpus, "--query-vectors", queryPath, "--query-ids", ids,
                                           "--dimension", "6", "--k", "2", "--quiet"]).runText()
        let lines = run.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.count == 8 && lines.map { $0[0] } == ["a", "a", "b", "b", "c", "c", "d", "d"])
        // The first hit is the best cosine over the first 6 coordinates, found by brute force.
        let x = try readNpy(corpus).normalizedPrefix(columns: 6)
        let q = queries.normalizedPrefix(columns: 6)
        for (i, id) in ["a", "b", "c", "d"].enumerated() {
            let scores = (0 ..< x.rows).map { r in (0 ..< 6).reduce(Float(0)) { $0 + x[r, $1] * q[i, $1] } }
            let best = scores.indices.max { scores[$0] < scores[$1] }!
            #expect(lines.first { $0[0] == id }?[2] == "\(best)")
        }
        // --corpus needs query vectors: there is no data set to take them from.
        #expect(throws: (any Error).self) { try SearchCommand.parse(["--corpus", corpus, "--quiet"]).runText() }
    }

    @Test func theFunnelWithAShortlistOfEveryDocumentIsExactSearch() throws {
        let corpus = try corpusFile()
        let queryPath = dir.file("q.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 6, columns: 12, seed: 9), to: queryPath)
        let ids = dir.write((0 ..< 6).map { "q\($0)\n" }.joined(), to: "q.txt")
        let base = ["--corpus", corpus, "--query-vectors", queryPath, "--query-ids", ids, "--k", "5", "--quiet"]
        let exact = try SearchCommand.parse(base).runText()
        let funnel = try SearchCommand.parse(base + ["--shortlist-dimension", "3", "--shortlist-size", "300"]).runText()
        let documents = { (run: String) in run.split(separator: "\n").map { $0.split(separator: " ")[2] } }
        #expect(documents(funnel) == documents(exact))
        // A short list changes the result only through what it leaves out.
        let narrow = try SearchCommand.parse(base + ["--shortlist-dimension", "3", "--shortlist-size", "5"]).runText()
        #expect(narrow.split(separator: "\n").count == 30)
        #expect(throws: (any Error).self) {
            try SearchCommand.parse(base + ["--shortlist-dimension", "3", "--shortlist-size", "4"]).runText()
        }

        // evaluate: the funnel over every document scores as exact search at the re-ranking size.
        var vectors = Fixtures.randomMatrix(rows: 60, columns: 12, seed: 1)
        for i in 0 ..< 60 { vectors[i, i % 3] += 2 }
        let folder = try Fixtures.writeDataset(in: dir, name: "judged", corpus: vectors,
                                               queries: Fixtures.randomMatrix(rows: 5, columns: 12, seed: 2),
                                               qrels: ["test": [("q0", "d1", 1), ("q1", "d2", 1), ("q2", "d7", 2)]])
        let plain = try results(try EvaluateCommand.parse(["--data", folder, "--json", "--dims", "12", "--quiet"]).output())
        let funnelRows = try results(try EvaluateCommand.parse(["--data", folder, "--json", "--shortlist-dimension", "4",
                                                                "--shortlist-size", "60", "--quiet"]).output())
        #expect(funnelRows.map { $0["dimension"] as? Int } == [12])
        #expect(abs((funnelRows[0]["ndcg@10"] as! Double) - (plain[0]["ndcg@10"] as! Double)) < 1e-9)
    }

    @Test func aNonFiniteRowInAStreamedCorpusIsNamed() throws {
        var corpus = Fixtures.randomMatrix(rows: 200, columns: 8, seed: 3)
        corpus[137, 5] = .nan
        let path = dir.file("nan.npy")
        try writeNpy(corpus, to: path)
        var clean = corpus
        clean[137, 5] = 0
        let cleanPath = dir.file("clean.npy")
        try writeNpy(clean, to: cleanPath)
        let model = try fitModel(cleanPath)
        for command in [
            { try FitCommand.parse(["--corpus", path, "--out", dir.file("n.safetensors"), "--quiet"]).run() },
            { _ = try EvaluateCommand.parse(["--corpus", path, "--method", "truncate", "--json", "--quiet"]).output() },
            { try ApplyCommand.parse(["--adaptor", model, "--input", path, "--output", dir.file("o.npy"), "--quiet"]).run() },
        ] as [() throws -> Void] {
            let error = #expect(throws: (any Error).self) { try command() }
            let text = "\(error!)"
            #expect(text.contains(path) && text.contains("row 137") && text.contains("not finite"), "\(text)")
        }
        #expect(!fileExists(dir.file("n.safetensors")) && !fileExists(dir.file("o.npy")))
    }

    @Test func anEmptyCorpusFileIsAClearError() throws {
        let path = dir.write(bytes: Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 8), }", data: []),
                             to: "empty.npy")
        for command in [
            { try FitCommand.parse(["--corpus", path, "--out", dir.file("e.safetensors"), "--quiet"]).run() },
            { _ = try EvaluateCommand.parse(["--corpus", path, "--method", "truncate", "--json", "--quiet"]).output() },
        ] as [() throws -> Void] {
            let error = #expect(throws: (any Error).self) { try command() }
            #expect("\(error!)".contains(path), "\(error!)")
        }
    }

    @Test func moreAnchorsThanTheCorpusIsAClearErrorBeforeAnyTraining() throws {
        let corpus = try corpusFile()
        let error = #expect(throws: (any Error).self) {
            try FitCommand.parse(["--corpus", corpus, "--out", dir.file("a.safetensors"), "--anchors", "5000", "--quiet"]).run()
        }
        #expect("\(error!)".contains("5000") && "\(error!)".contains("anchors"), "\(error!)")
        #expect(!fileExists(dir.file("a.safetensors")))
    }

    @Test func aCorpusTooLargeForMemoryIsRefusedBeforeReading() throws {
        let path = try corpusFile()
        let error = #expect(throws: EmbeddingIOError.self) { try checkFitsInMemory(try NpyFile(path: path), available: 10_000) }
        let text = "\(error!)"
        #expect(text.contains(path) && text.contains("300 × 12") && text.contains("stream"), "\(text)")
        try checkFitsInMemory(try NpyFile(path: path), available: 1 << 30)
    }

    /// A write that fails part-way (here the process's file-size limit, which fails `write` like a full disk)
    /// leaves the destination as it was and no temporary file behind.
    @Test func aWriteThatFailsKeepsTheDestination() throws {
        let executable = try #require(builtExecutable, "the matryoshka executable is built beside the tests")
        let input = try corpusFile("big.npy", rows: 20_000)  // 960 kB of output at full dimension
        let model = try fitModel(try corpusFile())
        let output = dir.write("old content\n", to: "out.npy")
        let (status, message) = try runToEnd("/bin/sh", [
            "-c", "ulimit -f 256; exec \"$0\" apply --adaptor \"$1\" --input \"$2\" --output \"$3\" --quiet",
            executable, model, input, output])
        #expect(status != 0)
        #expect(message.contains(output) && message.contains("cannot write"), "\(message)")
        #expect(Fixtures.bytes(of: output) == Array("old content\n".utf8))
        #expect(listDirectory(dir.path).allSatisfy { !$0.hasSuffix(".tmp") }, "\(listDirectory(dir.path))")
    }
}
