import Foundation

/// Per-query ranking metrics, computed as trec_eval does.
///
/// A ranking is a list of corpus indices, best first. Grades come from ``JudgedQuery``; a document
/// is relevant when its grade is positive.
public enum RankingMetrics {
    /// nDCG@k as trec_eval `ndcg_cut.k`.
    ///
    /// `DCG@k = Σ_{r=1}^{min(k, |ranking|)} g(d_r) / log2(r + 1)` with linear gain `g = max(grade, 0)`;
    /// `IDCG@k` is the same sum over the query's positive grades sorted descending. The result is
    /// `DCG / IDCG`, or 0 when the query has no relevant document.
    public static func ndcg(ranking: [Int], judgements: JudgedQuery, k: Int) -> Double {
        var dcg = 0.0
        for (r, document) in ranking.prefix(k).enumerated() {
            let grade = judgements.grades[document] ?? 0
            if grade > 0 { dcg += Double(grade) / log2(Double(r + 2)) }
        }
        var ideal = 0.0
        for (r, grade) in judgements.idealGrades.prefix(k).enumerated() { ideal += Double(grade) / log2(Double(r + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// Recall@k: the fraction of the query's relevant documents found in the top `k` (0 when it has none).
    public static func recall(ranking: [Int], judgements: JudgedQuery, k: Int) -> Double {
        guard judgements.relevantCount > 0 else { return 0 }
        let found = ranking.prefix(k).filter { (judgements.grades[$0] ?? 0) > 0 }.count
        return Double(found) / Double(judgements.relevantCount)
    }

    /// MRR@k's per-query term: `1 / r` for the rank `r ≤ k` of the first relevant document, else 0.
    public static func reciprocalRank(ranking: [Int], judgements: JudgedQuery, k: Int) -> Double {
        for (r, document) in ranking.prefix(k).enumerated() where (judgements.grades[document] ?? 0) > 0 {
            return 1 / Double(r + 1)
        }
        return 0
    }
}
