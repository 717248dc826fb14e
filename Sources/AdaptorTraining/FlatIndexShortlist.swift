import EmbeddingMath
import VectorSearch

/// Exact top-`k` with the float32 shortlist re-ranked in double precision (as evaluation does).
enum FlatIndexShortlist {
    static func search(queries: Matrix, pool: Matrix, k: Int, margin: Int = 16) -> SearchResults {
        FlatIndex(vectors: pool).search(queries, k: k + margin)
            .refinedInDoublePrecision(queries: queries, corpus: pool, prefix: pool.columns, k: k)
    }
}
