import Foundation
import RetrievalEvaluation

/// What `evaluate` prints: the setting and one row of metrics per dimension.
struct EvaluationReport: Encodable {
    var data: String
    var directory: String
    var split: String
    var method: String
    var judgedQueries: Int
    var documents: Int
    var inputDimension: Int
    var results: [ComparisonReport.Row]

    enum CodingKeys: String, CodingKey {
        case data, directory, split, method, results
        case judgedQueries = "judged_queries", documents, inputDimension = "input_dimension"
    }

    /// The JSON form: fractions in [0, 1], keys `dimension`, `ndcg@10`, `recall@100`, `mrr@10`,
    /// and the standard errors of the means as `ndcg@10_stderr` and so on.
    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A fixed-width table of values ×100.
    func table() -> String {
        var lines = [
            "\(data) · \(split) split · \(judgedQueries) judged queries · \(documents) documents · d = \(inputDimension) · \(method)",
            "nDCG@10, Recall@100 and MRR@10 ×100; ± is the standard error of the nDCG@10 mean across queries",
            pad("m", 6) + pad("nDCG@10", 10) + pad("±", 7) + pad("Recall@100", 12) + pad("MRR@10", 9),
        ]
        for r in results {
            lines.append(pad("\(r.dimension)", 6) + pad(percent(r.ndcg), 10) + pad(percent(r.ndcgStandardError), 7)
                + pad(percent(r.recall), 12) + pad(percent(r.mrr), 9))
        }
        return lines.joined(separator: "\n")
    }
}

/// `value × 100` with two decimals.
func percent(_ value: Double) -> String {
    String(format: "%.2f", value * 100)
}

/// Right-aligns `text` in `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}
