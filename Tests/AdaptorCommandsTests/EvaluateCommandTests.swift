@testable import AdaptorCommands
import ArgumentParser
import Matryoshka
import Foundation
import Testing
import _TestSupport

@Suite struct EvaluateCommandTests {
    let dir = TemporaryDirectory()

    func tinyDataset() throws -> String {
        try Fixtures.writeDataset(
            in: dir, corpus: Fixtures.randomMatrix(rows: 40, columns: 20, seed: 1),
            queries: Fixtures.randomMatrix(rows: 6, columns: 20, seed: 2),
            qrels: ["test": [("q0", "d3", 1), ("q1", "d7", 2), ("q1", "d8", 1), ("q5", "d0", 1)],
                    "train": [("q2", "d1", 1)]])
    }

    @Test func jsonHasOneEntryPerDimensionWithTheDocumentedKeys() throws {
        let folder = try tinyDataset()
        let command = try EvaluateCommand.parse(["--data", folder, "--method", "pca", "--dims", "4,8,20", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(try command.output().utf8)) as! [String: Any]
        let results = object["results"] as! [[String: Any]]
        #expect(results.map { $0["dimension"] as! Int } == [4, 8, 20])
        for row in results {
            for key in ["ndcg@10", "recall@100", "mrr@10"] {
                let value = row[key] as! Double
                #expect(value >= 0 && value <= 1)
            }
        }
        #expect(object["judged_queries"] as? Int == 3 && object["split"] as? String == "test")
    }

    @Test func tableAndDefaultDimensions() throws {
        let folder = try tinyDataset()
        let table = try EvaluateCommand.parse(["--data", folder, "--split", "train"]).output()
        #expect(table.contains("tiny · train split · 1 judged queries · 40 documents · d = 20 · truncate"))
        // d = 20: default sizes are 16 and 20.
        let rows = table.split(separator: "\n").dropFirst(3).map { $0.split(separator: " ").first! }
        #expect(rows == ["16", "20"])
    }

    @Test func badArgumentsAreClearErrors() throws {
        let folder = try tinyDataset()
        #expect(throws: (any Error).self) { try EvaluateCommand.parse(["--data", folder, "--method", "magic"]) }
        #expect(throws: ValidationError.self) { try EvaluateCommand.parse(["--data", folder, "--dims", "16,x"]).output() }
        do {
            _ = try EvaluateCommand.parse(["--data", folder, "--dims", "64"]).output()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("64 exceeds the truncate output dimension 20"))
        }
        do {
            _ = try EvaluateCommand.parse(["--data", folder, "--split", "dev"]).output()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("judgements for split 'dev'; available: test, train"))
        }
    }

    @Test func helpDescribesEveryFlag() {
        let help = MatryoshkaCommand.helpMessage(for: EvaluateCommand.self)
        for flag in ["--data", "--model", "--method", "--dims", "--split", "--json"] { #expect(help.contains(flag)) }
    }

    /// Codes: one row per size and precision with its bytes and whether it is dominated, the full vectors' nDCG@10
    /// (the truncation row at d, float32) and the cheapest point keeping a share of it.
    @Test func codesGiveBytesTheFrontierAndTheFewestBytes() throws {
        let folder = try tinyDataset()
        let json = try EvaluateCommand.parse(["--data", folder, "--method", "pca", "--dims", "8,20", "--precision",
                                              "binary,int8", "--keep", "50", "--json"]).output()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let results = object["results"] as! [[String: Any]]
        #expect(results.map { $0["dimension"] as! Int } == [8, 8, 20, 20])
        #expect(results.map { $0["precision"] as! String } == ["int8", "binary", "int8", "binary"])
        #expect(results.map { $0["bytes_per_vector"] as! Int } == [8, 1, 20, 3])
        #expect(results.allSatisfy { $0["dominated"] is Bool })
        let plain = try EvaluateCommand.parse(["--data", folder, "--dims", "20", "--json"]).output()
        let full = ((try JSONSerialization.jsonObject(with: Data(plain.utf8)) as! [String: Any])["results"] as! [[String: Any]])[0]
        #expect(object["full_ndcg@10"] as? Double == full["ndcg@10"] as? Double)
        let fewest = object["fewest_bytes"] as! [String: Any]
        let reached = results.filter { ($0["ndcg@10"] as! Double) >= 0.5 * (full["ndcg@10"] as! Double) }
        #expect(fewest["bytes_per_vector"] as? Int == reached.map { $0["bytes_per_vector"] as! Int }.min())
        let table = try EvaluateCommand.parse(["--data", folder, "--method", "pca", "--dims", "8,20", "--precision", "all"]).output()
        #expect(table.contains("precision  bytes") && table.contains("full vectors (float32, m = 20, 80 bytes)"))
    }

    /// Bad code requests are clear errors: an unknown precision, --rescore or --keep without codes, a share no point
    /// keeps, and a model saved without the calibration its codes need.
    @Test func badCodeRequestsAreClearErrors() throws {
        let folder = try tinyDataset()
        func message(_ arguments: [String]) -> String {
            do { _ = try EvaluateCommand.parse(["--data", folder] + arguments).output(); return "no error" }
            catch { return "\(error)" }
        }
        #expect(message(["--precision", "int3"]).contains("--precision expects a list of float32, float16, int8, int4, int2, binary or all; got 'int3'"))
        #expect(message(["--rescore", "10"]).contains("--rescore and --scoring go with --precision"))
        #expect(message(["--keep", "90"]).contains("--keep goes with --precision"))
        // Documents 0–2 equal document 3 but for the sign of coordinate 5, and the one judged query is document 3:
        // the full vectors rank it first (nDCG@10 = 1), its 4-bit codes tie with documents 0–2, which come first.
        var corpus = Fixtures.randomMatrix(rows: 30, columns: 6, seed: 5)
        for i in 0 ..< 3 { for j in 0 ..< 6 { corpus[i, j] = j == 5 ? -corpus[3, j] : corpus[3, j] } }
        let tied = try Fixtures.writeDataset(in: dir, name: "tied", corpus: corpus, queries: Matrix([Array(corpus.storage[18 ..< 24])]),
                                             qrels: ["test": [("q0", "d3", 1)]])
        do {
            _ = try EvaluateCommand.parse(["--data", tied, "--precision", "binary", "--scoring", "hamming", "--dims", "4",
                                           "--keep", "100"]).output()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("no scored point keeps 100 % of the full vectors' nDCG@10 (100.00): the best reaches 43.07 (43.1 %)"))
        }
        let model = try Fixtures.smallModel()
        let path = dir.file("old.safetensors")
        try model.save(to: path)
        let six = try Fixtures.writeDataset(in: dir, name: "six", corpus: Fixtures.randomMatrix(rows: 30, columns: 6, seed: 3),
                                            queries: Fixtures.randomMatrix(rows: 4, columns: 6, seed: 4),
                                            qrels: ["test": [("q0", "d3", 1)]])
        do {
            _ = try EvaluateCommand.parse(["--data", six, "--method", "adaptor", "--adaptor", path, "--precision", "int2"]).output()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("\(path) was saved without the calibration int8, int4, int2 and binary codes need"))
        }
    }
}
