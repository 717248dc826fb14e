import EmbeddingMath

extension SearchResults {
    /// Re-ranks each query's shortlist by cosine similarity computed in double precision and keeps the best `k`.
    ///
    /// Float32 scores of near-tied documents can differ from the exact ones by about `1e-7`, which is
    /// enough to swap two documents and move a query's nDCG; evaluation therefore shortlists with the fast
    /// float32 search and settles the order here:
    /// `s(q, c) = Σ_{j<m} q_j c_j / (‖q[:m]‖ ‖c[:m]‖)` accumulated in `Double` from the raw float inputs.
    /// Ties are broken by corpus order.
    ///
    /// - Parameters:
    ///   - queries: the raw (un-normalised) query vectors whose rows answer this result's rows, `n × D`.
    ///   - corpus: the raw corpus vectors the indices refer to, `N × D`.
    ///   - m: the prefix length compared (`m ≤ D`).
    ///   - k: how many to keep (at most the shortlist length).
    public func refinedInDoublePrecision(queries: Matrix, corpus: Matrix, prefix m: Int, k: Int) -> SearchResults {
        precondition(queries.rows == queryCount, "\(queries.rows) query rows for \(queryCount) result rows")
        precondition(m <= queries.columns && m <= corpus.columns, "Prefix \(m) longer than the vectors")
        let keep = min(k, self.k)
        var newIndices = [Int32](repeating: -1, count: queryCount * keep)
        var newScores = [Float](repeating: -.infinity, count: queryCount * keep)
        // Each query re-ranks its own shortlist and writes its own rows: jobs of queries on the workers.
        let queriesPerJob = 32
        queries.storage.withUnsafeBufferPointer { qp in
            corpus.storage.withUnsafeBufferPointer { cp in
                newIndices.withUnsafeMutableBufferPointer { outIndices in
                    newScores.withUnsafeMutableBufferPointer { outScores in
                        Parallelism.forEachRange(count: queryCount, size: queriesPerJob) { jobQueries, _ in
                            for q in jobQueries {
                                let qRow = qp.baseAddress! + q * queries.columns
                                let qNorm = doubleDot(qRow, qRow, m).squareRoot()
                                var scored: [(score: Double, index: Int32)] = neighbours(of: q).map { c in
                                    let cRow = cp.baseAddress! + c * corpus.columns
                                    let denominator = qNorm * doubleDot(cRow, cRow, m).squareRoot()
                                    return (denominator > 0 ? doubleDot(qRow, cRow, m) / denominator : 0, Int32(c))
                                }
                                scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                                for (r, entry) in scored.prefix(keep).enumerated() {
                                    outIndices[q * keep + r] = entry.index
                                    outScores[q * keep + r] = Float(entry.score)
                                }
                            }
                        }
                    }
                }
            }
        }
        return SearchResults(queryCount: queryCount, k: keep, indices: newIndices, scores: newScores)
    }
}

private func doubleDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
    var sum = 0.0
    for j in 0 ..< n { sum += Double(a[j]) * Double(b[j]) }
    return sum
}
