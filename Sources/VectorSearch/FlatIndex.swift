import EmbeddingMath

/// Exact cosine-similarity search over a whole corpus (faiss `IndexFlatIP` on normalised vectors).
///
/// Scores are computed block by block with `sgemm` (`S = Q_b · D_bᵀ`, at most
/// ``queryBlock`` `×` ``documentBlock`` floats at a time) and merged into per-query top-`k` lists, so
/// memory stays bounded for any corpus size: no `n × N` matrix is ever formed.
public struct FlatIndex: Sendable {
    /// The indexed vectors, L2-normalised, `count × dimension`.
    public let vectors: Matrix
    /// Queries per `sgemm` block.
    public var queryBlock = 1024
    /// Documents per `sgemm` block.
    public var documentBlock = 1024

    /// Number of indexed vectors `N`.
    public var count: Int { vectors.rows }
    /// Vector dimension.
    public var dimension: Int { vectors.columns }

    /// Indexes `vectors` (`N × d`), normalising each row to unit length.
    public init(vectors: Matrix) {
        self.vectors = vectors.normalizedRows()
    }

    /// Indexes the re-normalised `m`-prefix of `vectors`: `x_i[:m] / ‖x_i[:m]‖`, the Matryoshka index at size `m`.
    public init(vectors: Matrix, prefix m: Int) {
        self.vectors = vectors.normalizedPrefix(columns: m)
    }

    /// Indexes rows that are already unit length (skips normalisation; the caller vouches for it).
    public init(normalizedVectors: Matrix) {
        self.vectors = normalizedVectors
    }

    /// The `k` most cosine-similar indexed vectors to each query row.
    ///
    /// - Parameters:
    ///   - queries: `n × d` query vectors (any norm; they are normalised here).
    ///   - k: neighbours per query; when `k > N` the extra slots are `-1`.
    /// - Returns: `n × k` indices and scores, best first, ties broken by corpus order.
    public func search(_ queries: Matrix, k: Int) -> SearchResults {
        precondition(queries.columns == dimension,
                     "Query dimension \(queries.columns) differs from the index dimension \(dimension)")
        let q = queries.normalizedRows()
        var top = TopKAccumulator(queryCount: q.rows, k: k)
        let d = dimension, n = count
        let qb = max(1, queryBlock), db = max(1, documentBlock)
        var block = [Float](repeating: 0, count: min(qb, max(q.rows, 1)) * min(db, max(n, 1)))
        q.storage.withUnsafeBufferPointer { qp in
            vectors.storage.withUnsafeBufferPointer { dp in
                block.withUnsafeMutableBufferPointer { bp in
                    var d0 = 0
                    while d0 < n {
                        let nd = min(db, n - d0)
                        var q0 = 0
                        while q0 < q.rows {
                            let nq = min(qb, q.rows - q0)
                            BLAS.sgemm(transposeA: false, transposeB: true, m: nq, n: nd, k: d,
                                       a: qp.baseAddress! + q0 * d, lda: d, b: dp.baseAddress! + d0 * d, ldb: d,
                                       c: bp.baseAddress!, ldc: nd)
                            for i in 0 ..< nq {
                                top.offer(query: q0 + i, scores: bp.baseAddress! + i * nd, count: nd, firstIndex: d0)
                            }
                            q0 += nq
                        }
                        d0 += nd
                    }
                }
            }
        }
        return top.results()
    }
}
