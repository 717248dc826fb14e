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
}
