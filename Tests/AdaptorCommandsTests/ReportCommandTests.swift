@testable import AdaptorCommands
import ArgumentParser
import Matryoshka
import Foundation
import Testing
import _TestSupport

@Suite struct ReportCommandTests {
    let dir = TemporaryDirectory()

    @Test func specsParseWithLabelsAndModels() throws {
        let specs = try ReportCommand.parse(["--data", "x", "--out", "r.html", "--methods",
                                             "truncate,pca,good=adaptor:/m/a.safetensors,search-adaptor:/m/b.safetensors"]).specs()
        #expect(specs.map(\.label) == ["truncation", "PCA", "good", "b"])
        #expect(specs.map(\.kind) == ["truncate", "pca", "adaptor", "search-adaptor"])
        #expect(specs.map(\.method) == [.truncation, .pca, .model(path: "/m/a.safetensors"), .model(path: "/m/b.safetensors")])
        #expect(throws: (any Error).self) { try ReportCommand.parse(["--data", "x", "--out", "r", "--methods", "adaptor"]) }
        #expect(throws: (any Error).self) { try ReportCommand.parse(["--data", "x", "--out", "r", "--methods", "pca:m"]) }
        #expect(throws: (any Error).self) { try ReportCommand.parse(["--data", "x", "--out", "r", "--methods", "magic"]) }
    }

    @Test func writesHTMLAndJSONTogether() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: Fixtures.randomMatrix(rows: 30, columns: 8, seed: 1),
                                               queries: Fixtures.randomMatrix(rows: 4, columns: 8, seed: 2),
                                               qrels: ["test": [("q0", "d1", 1), ("q3", "d2", 2)]])
        let out = dir.file("r.html")
        try ReportCommand.parse(["--data", folder, "--out", out, "--dims", "2,8", "--quiet"]).run()
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("r.json")))) as! [String: Any]
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg"))
        #expect((json["methods"] as! [[String: Any]]).map { $0["name"] as! String } == ["truncation", "PCA"])
        #expect((json["costs"] as! [[String: Any]]).map { $0["bytes_per_vector"] as! Int } == [8, 32])
        #expect(json["judged_queries"] as! Int == 2)
    }

    /// `--precision`: every method's codes at every size in the JSON (bytes per vector by hand), marked dominated
    /// across methods as BytesFrontier marks them, and a second chart with a bytes axis in the page.
    @Test func codesAddABytesChartAndTheFrontierAcrossMethods() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: Fixtures.randomMatrix(rows: 30, columns: 8, seed: 1),
                                               queries: Fixtures.randomMatrix(rows: 4, columns: 8, seed: 2),
                                               qrels: ["test": [("q0", "d1", 1), ("q3", "d2", 2), ("q1", "d5", 1)]])
        let out = dir.file("codes.html")
        try ReportCommand.parse(["--data", folder, "--out", out, "--dims", "4,8", "--precision", "int8,binary",
                                 "--rescore", "10", "--neighbour-sample", "0", "--quiet"]).run()
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("codes.json")))) as! [String: Any]
        let methods = json["methods"] as! [[String: Any]]
        let codes = methods.map { $0["codes"] as! [[String: Any]] }
        #expect(codes.map { $0.map { $0["bytes_per_vector"] as! Int } } == [[4, 1, 8, 1], [4, 1, 8, 1]])
        #expect(codes.allSatisfy { $0.allSatisfy { $0["rescore"] as? Int == 10 } })
        let all = codes.flatMap { $0 }
        let expected = BytesFrontier.dominated(all.map { ($0["bytes_per_vector"] as! Int, $0["ndcg@10"] as! Double) })
        #expect(all.map { $0["dominated"] as! Bool } == expected)
        #expect(html.contains("nDCG@10 against bytes per vector") && html.contains("bytes per vector in memory (log scale)"))
        #expect(html.components(separatedBy: "<svg").count == 3)
        #expect(throws: (any Error).self) { try ReportCommand.parse(["--data", folder, "--out", out, "--rescore", "10"]) }
    }
}
