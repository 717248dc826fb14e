import Foundation

extension ComparisonReport {
    /// The chart of nDCG@10 ×100 against dimension, one series per method.
    public var chart: LineChart {
        var chart = LineChart(series: methods.map { method in
            LineChart.Series(name: method.name, points: method.rows.map { (Double($0.dimension), $0.ndcg * 100) })
        }, xLabel: "dimension m (log scale)", yLabel: "nDCG@10 ×100")
        chart.reference = ("original \(dimension)-d vectors: \(String(format: "%.2f", referenceNDCG * 100))", referenceNDCG * 100)
        return chart
    }

    /// The chart of nDCG@10 ×100 against bytes per vector (log scale), one series per method that has codes: its own
    /// frontier (the points no cheaper-or-equal point of the same method beats, ``BytesFrontier/dominated(_:)``),
    /// cheapest first; nil when no method has codes.
    public var bytesChart: LineChart? {
        let coded = methods.filter { $0.codeRows?.isEmpty == false }
        guard !coded.isEmpty else { return nil }
        var chart = LineChart(series: coded.map { method in
            let rows = method.codeRows!
            let dominated = BytesFrontier.dominated(rows.map { ($0.bytesPerVector ?? 0, $0.ndcg) })
            let frontier = rows.indices.filter { !dominated[$0] }.sorted { rows[$0].bytesPerVector! < rows[$1].bytesPerVector! }
            return LineChart.Series(name: method.name, points: frontier.map { (Double(rows[$0].bytesPerVector!), rows[$0].ndcg * 100) })
        }, xLabel: "bytes per vector in memory (log scale)", yLabel: "nDCG@10 ×100")
        chart.reference = ("original \(dimension)-d vectors: \(String(format: "%.2f", referenceNDCG * 100))", referenceNDCG * 100)
        return chart
    }

    /// One self-contained HTML page: the comparison table (nDCG@10, Recall@100, MRR@10 with standard errors),
    /// the chart as inline SVG, storage and search cost per size, and the settings and fingerprints.
    /// Every number cell carries `data-value` with the unrounded fraction, as in the JSON.
    public func html() -> String {
        func cell(_ value: Double, _ error: Double, metric: String, method: String, dimension: Int) -> String {
            "<td data-method=\"\(escape(method))\" data-metric=\"\(metric)\" data-dimension=\"\(dimension)\" "
                + "data-value=\"\(value)\" data-stderr=\"\(error)\">\(String(format: "%.2f", value * 100))"
                + "<span class=\"se\"> ± \(String(format: "%.2f", error * 100))</span></td>"
        }
        let dimensions = methods.first?.rows.map(\.dimension) ?? []
        var body: [String] = []
        body.append("<h1>How small can the vectors get? \(escape(data))</h1>")
        body.append("<p class=\"lead\">\(escape(split)) split · \(judgedQueries) judged queries · \(documents) documents · "
            + "d = \(dimension). The original \(dimension)-d vectors score nDCG@10 "
            + "<b>\(String(format: "%.2f", referenceNDCG * 100))</b>; a method is lossless at m when it reaches that.</p>")
        body.append("<section><h2>nDCG@10 against dimension</h2>\(chart.svg())</section>")
        var metrics = [("ndcg@10", "nDCG@10"), ("recall@100", "Recall@100"), ("mrr@10", "MRR@10")]
        if methods.first?.rows.first?.neighbourRecall != nil {
            metrics.append(("neighbour-recall@10", "Neighbour-recall@10 (label-free: the share of a sampled document's "
                + "full-dimension top 10 found at size m)"))
        }
        for (metric, title) in metrics {
            body.append("<section><h2>\(title) ×100 ± standard error across queries</h2><table class=\"metric\" data-metric=\"\(metric)\">")
            body.append("<tr><th>method</th>" + dimensions.map { "<th>m=\($0)</th>" }.joined()
                + (metric == "ndcg@10" ? "<th>smallest lossless m</th>" : "") + "</tr>")
            for method in methods {
                let cells = method.rows.map { row -> String in
                    switch metric {
                    case "ndcg@10": cell(row.ndcg, row.ndcgStandardError, metric: metric, method: method.name, dimension: row.dimension)
                    case "recall@100": cell(row.recall, row.recallStandardError, metric: metric, method: method.name, dimension: row.dimension)
                    case "neighbour-recall@10":
                        cell(row.neighbourRecall ?? 0, row.neighbourRecallStandardError ?? 0, metric: metric,
                             method: method.name, dimension: row.dimension)
                    default: cell(row.mrr, row.mrrStandardError, metric: metric, method: method.name, dimension: row.dimension)
                    }
                }.joined()
                let lossless = metric == "ndcg@10"
                    ? "<td class=\"lossless\">\(smallestLosslessDimension(method).map(String.init) ?? "none")</td>" : ""
                body.append("<tr><th class=\"name\">\(escape(method.name))</th>\(cells)\(lossless)</tr>")
            }
            body.append("</table></section>")
        }
        if let bytesChart {
            body.append("<section><h2>nDCG@10 against bytes per vector</h2><p class=\"note\">Each method's codes of every size "
                + "and precision; the lines join each method's undominated points. In the table, a point is dominated when a "
                + "point of any method costs no more bytes and scores at least as well.</p>\(bytesChart.svg())")
            body.append("<table class=\"codes\"><tr><th>method</th><th>m</th><th>precision</th><th>bytes per vector</th>"
                + "<th>re-scored</th><th>nDCG@10 ×100 ± SE</th><th>frontier</th></tr>")
            for method in methods {
                for row in method.codeRows ?? [] {
                    let precision = row.precision?.rawValue ?? "float32"
                    body.append("<tr data-method=\"\(escape(method.name))\" data-dimension=\"\(row.dimension)\" data-precision=\"\(precision)\">"
                        + "<th class=\"name\">\(escape(method.name))</th><td>\(row.dimension)</td><td>\(precision)</td>"
                        + "<td data-value=\"\(row.bytesPerVector ?? 0)\">\(row.bytesPerVector ?? 0)</td>"
                        + "<td>\(row.rescore.map { "top \($0)" } ?? "no")</td>"
                        + "<td data-value=\"\(row.ndcg)\" data-stderr=\"\(row.ndcgStandardError)\">\(String(format: "%.2f", row.ndcg * 100))"
                        + "<span class=\"se\"> ± \(String(format: "%.2f", row.ndcgStandardError * 100))</span></td>"
                        + "<td>\(row.dominated == true ? "dominated" : "on the frontier")</td></tr>")
                }
            }
            body.append("</table></section>")
        }
        body.append("<section><h2>Storage and search cost per size</h2><table class=\"costs\">")
        body.append("<tr><th>m</th><th>bytes per vector (float32)</th><th>corpus size (MB)</th><th>exact search, queries/s</th></tr>")
        for cost in costs {
            body.append("<tr><td>\(cost.dimension)</td><td data-value=\"\(cost.bytesPerVector)\">\(cost.bytesPerVector)</td>"
                + "<td>\(String(format: "%.2f", Double(cost.bytesPerVector * documents) / 1_000_000))</td>"
                + "<td data-value=\"\(cost.queriesPerSecond)\">\(String(format: "%.0f", cost.queriesPerSecond))</td></tr>")
        }
        body.append("</table><p class=\"note\">Queries per second: exact top-10 cosine search of this data set's queries over its "
            + "\(documents) documents at each m, one thread, measured when the report was made.</p></section>")
        body.append("<section><h2>Settings and fingerprints</h2><table class=\"settings\">")
        body.append("<tr><th>data folder</th><td>\(escape(directory))</td></tr>")
        for (key, value) in fingerprints.sorted(by: { $0.key < $1.key }) {
            body.append("<tr><th>\(escape(key)) (SHA-256)</th><td><code>\(escape(value))</code></td></tr>")
        }
        body.append("<tr><th>library</th><td>matryoshka \(escape(libraryVersion))</td></tr>")
        for method in methods {
            let details = ([method.modelPath.map { "model: \($0)" }].compactMap { $0 }
                + method.settings.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })
            body.append("<tr><th>\(escape(method.name))</th><td>\(escape(method.kind))"
                + (details.isEmpty ? "" : "<br><code>\(details.map(escape).joined(separator: "<br>"))</code>") + "</td></tr>")
        }
        body.append("</table></section>")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Matryoshka report: \(escape(data))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
        h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
        th.name, .settings th { text-align: left; } .settings td { text-align: left; }
        .se { color: #888; font-size: 11px; } code { font-size: 11px; word-break: break-all; }
        .lead, .note { font-size: 14px; color: #444; }
        </style></head>
        <body>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }
}
