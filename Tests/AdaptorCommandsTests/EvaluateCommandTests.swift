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
}
