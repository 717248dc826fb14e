import EmbeddingMath

/// How exact search splits its work: jobs of one block of queries against one chunk of documents, each chunk
/// scored tile by tile with `sgemm` (`S = Q_b · D_tᵀ`, at most ``queryBlock`` `×` ``tileDocuments`` floats at
/// a time), so no `n × N` matrix is ever formed.
///
/// The grid depends only on the number of queries and documents, never on the thread count: every score is
/// the same `sgemm` tile whichever worker computes it, and jobs are combined in a fixed order, so results are
/// bit-identical for any thread count.
public struct ScoreGrid: Sendable {
    /// Queries per job (and per `sgemm`).
    public var queryBlock = 1024
    /// Documents per job.
    public var documentChunk = 16384
    /// Documents per `sgemm` tile within a job.
    public var tileDocuments = 1024

    /// The default grid.
    public init() {}

    /// Scores every row of `queries` (`n × m`) against every row of `documents` (`N × m`), job by job in
    /// parallel, and returns each job's state in job order (document chunk by chunk, query block by block
    /// within a chunk).
    ///
    /// - Parameters:
    ///   - queries: `n × m` unit rows.
    ///   - documents: `N × m` unit rows.
    ///   - threads: workers (the jobs and their results do not depend on it).
    ///   - start: a job's fresh state, given its query rows and document rows.
    ///   - tile: called for each tile of a job, in increasing document order, with the state, the job's query
    ///     rows, the tile's first document row, its document count `t`, and its `queries × t` scores (row stride
    ///     `t`).
    public func run<State>(
        queries: Matrix, documents: Matrix, threads: Int = Parallelism.threads,
        start: (_ queries: Range<Int>, _ documents: Range<Int>) -> State,
        tile: (_ state: inout State, _ queries: Range<Int>, _ firstDocument: Int, _ count: Int,
               _ scores: UnsafePointer<Float>) -> Void
    ) -> [State] {
        precondition(queries.columns == documents.columns,
                     "Query dimension \(queries.columns) differs from the documents' \(documents.columns)")
        let n = queries.rows, count = documents.rows, d = queries.columns
        guard n > 0, count > 0 else { return [] }
        let qb = max(1, queryBlock), chunk = max(1, documentChunk), tb = max(1, tileDocuments)
        let queryBlocks = (n + qb - 1) / qb, chunks = (count + chunk - 1) / chunk
        let workers = min(max(threads, 1), queryBlocks * chunks)
        var scratch = [Float](repeating: 0, count: workers * min(qb, n) * min(tb, count))
        let stride = min(qb, n) * min(tb, count)
        return queries.storage.withUnsafeBufferPointer { qp in
            documents.storage.withUnsafeBufferPointer { dp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    let pointers = UncheckedSendable((qp.baseAddress!, dp.baseAddress!, sp.baseAddress!))
                    return Parallelism.map(jobs: queryBlocks * chunks, threads: workers) { job, worker -> State in
                        let (q, p, s) = pointers.value
                        let c = job / queryBlocks, b = job % queryBlocks
                        let queryRange = b * qb ..< min(n, (b + 1) * qb)
                        let documentRange = c * chunk ..< min(count, (c + 1) * chunk)
                        var state = start(queryRange, documentRange)
                        let buffer = s + worker * stride

                        var t = documentRange.lowerBound
                        while t < documentRange.upperBound {
                            let width = min(tb, documentRange.upperBound - t)
                            BLAS.sgemm(transposeA: false, transposeB: true, m: queryRange.count, n: width, k: d,
                                       a: q + queryRange.lowerBound * d, lda: d, b: p + t * d, ldb: d,
                                       c: buffer, ldc: width)
                            tile(&state, queryRange, t, width, buffer)
                            t += width
                        }
                        return state
                    }
                }
            }
        }
    }
}
