import VectorSearch

/// A TREC run file, as trec_eval and pytrec_eval read it: one line per retrieved document,
/// `query-id Q0 doc-id rank score run-name`, ranks from 1, best first.
public enum TRECRun {
    /// One line (with its newline).
    public static func line(query: String, document: String, rank: Int, score: Float, run: String) -> String {
        "\(query) Q0 \(document) \(rank) \(score) \(run)\n"
    }

    /// The lines of `results`, whose row `q` answers `queryIds[q]` and whose indices are rows of `documentIds`.
    public static func text(_ results: SearchResults, queryIds: [String], documentIds: [String], run: String) -> String {
        precondition(results.queryCount == queryIds.count, "\(results.queryCount) result rows for \(queryIds.count) queries")
        var text = ""
        for q in 0 ..< results.queryCount {
            for (rank, (document, score)) in zip(results.neighbours(of: q), results.neighbourScores(of: q)).enumerated() {
                text += line(query: queryIds[q], document: documentIds[document], rank: rank + 1, score: score, run: run)
            }
        }
        return text
    }
}
