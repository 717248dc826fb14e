import EmbeddingMath
import Foundation
import RetrievalEvaluation
import Testing
import _TestSupport

@Suite struct ComparisonReportTests {
    func report() -> ComparisonReport {
        let corpus = Fixtures.randomMatrix(rows: 60, columns: 16, seed: 1)
        let queries = Fixtures.randomMatrix(rows: 8, columns: 16, seed: 2)
        let judged = (0 ..< 8).map { JudgedQuery(queryIndex: $0, grades: [$0: 1, $0 + 10: 2]) }
        let evaluator = RetrievalEvaluator(judgements: judged)
        let methods = ["truncation": corpus, "scaled": corpus.normalizedRows()].sorted { $0.key < $1.key }.map { name, c in
            ComparisonReport.Method(name: name, kind: "truncate", rows: evaluator.evaluate(
                queries: queries, corpus: c, dimensions: [4, 8, 16]).map { ComparisonReport.Row($0) })
        }
        return ComparisonReport(data: "tiny <data>", directory: "/tmp/x", split: "test", judgedQueries: 8, documents: 60,
                                dimension: 16, fingerprints: ["corpus vectors": "abc"], libraryVersion: "0",
                                referenceNDCG: methods[1].rows[2].ndcg, methods: methods,
                                costs: [ComparisonReport.Cost(dimension: 4, bytesPerVector: 16, queriesPerSecond: 1234.5)])
    }

    @Test func htmlAndJSONCarryTheSameNumbers() throws {
        let report = report()
        let html = report.html()
        let json = try JSONSerialization.jsonObject(with: Data(try report.jsonString().utf8)) as! [String: Any]
        let pattern = try NSRegularExpression(pattern:
            #"data-method="([^"]+)" data-metric="([^"]+)" data-dimension="(\d+)" data-value="([^"]+)" data-stderr="([^"]+)""#)
        let matches = pattern.matches(in: html, range: NSRange(html.startIndex..., in: html))
        var fromHTML: [String: (Double, Double)] = [:]
        for match in matches {
            let field = { (i: Int) in String(html[Range(match.range(at: i), in: html)!]) }
            fromHTML["\(field(1))|\(field(2))|\(field(3))"] = (Double(field(4))!, Double(field(5))!)
        }
        var checked = 0
        for method in json["methods"] as! [[String: Any]] {
            for row in method["results"] as! [[String: Any]] {
                for metric in ["ndcg@10", "recall@100", "mrr@10"] {
                    let key = "\(method["name"] as! String)|\(metric)|\(row["dimension"] as! Int)"
                    let cell = try #require(fromHTML[key], "no HTML cell for \(key)")
                    // Equal up to the last bit that text round trips through two number parsers may differ in.
                    #expect(abs(cell.0 - (row[metric] as! Double)) <= 1e-12, "\(key)")
                    #expect(abs(cell.1 - (row["\(metric)_stderr"] as! Double)) <= 1e-12, "\(key)")
                    checked += 1
                }
            }
        }
        #expect(checked == 2 * 3 * 3 && matches.count == checked)
        let cost = (json["costs"] as! [[String: Any]])[0]
        #expect(abs(cost["queries_per_second"] as! Double - 1234.5) < 1e-9 && html.contains("data-value=\"1234.5\""))
        #expect(abs(json["reference_ndcg@10"] as! Double - report.referenceNDCG) <= 1e-12)
    }

    @Test func pageIsSelfContainedAndEscaped() {
        let html = report().html()
        #expect(!html.contains("<script") && !html.contains("http://www.w3.org/2000/svg\" href") && !html.contains("src="))
        #expect(html.contains("tiny &lt;data&gt;") && !html.contains("tiny <data>"))
        #expect(html.components(separatedBy: "<polyline data-series=").count - 1 == 2)
        #expect(html.contains("dimension m (log scale)") && html.contains("nDCG@10 ×100"))
    }

    @Test func smallestLosslessDimensionAndTextTable() {
        let report = report()
        let scaled = report.methods[0]
        #expect(report.smallestLosslessDimension(report.methods[1]) == scaled.rows.first { $0.ndcg >= report.referenceNDCG }?.dimension)
        let text = report.textTable()
        #expect(text.contains("lossless m") && text.split(separator: "\n").count == 5)
    }
}
