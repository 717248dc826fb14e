import Foundation

extension ComparisonReport {
    /// The comparison as fixed-width text: nDCG@10 ×100 per method and size, and the smallest lossless size.
    public func textTable() -> String {
        let dimensions = methods.first?.rows.map(\.dimension) ?? []
        let nameWidth = max(8, methods.map(\.name.count).max() ?? 0) + 2
        var lines = [
            "\(data) · \(split) split · \(judgedQueries) judged queries · \(documents) documents · d = \(dimension)",
            "nDCG@10 ×100 at each size m; lossless = at least the original \(dimension)-d vectors (\(String(format: "%.2f", referenceNDCG * 100)))",
            "method".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + dimensions.map { pad("m=\($0)", 8) }.joined() + pad("lossless m", 12),
        ]
        for method in methods {
            let cells = method.rows.map { pad(String(format: "%.2f", $0.ndcg * 100), 8) }.joined()
            let lossless = smallestLosslessDimension(method).map(String.init) ?? "none"
            lines.append(method.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + cells + pad(lossless, 12))
        }
        return lines.joined(separator: "\n")
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
