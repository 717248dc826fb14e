import EmbeddingMath
import VectorSearch

/// The `k` nearest neighbours of every corpus vector among the others, by cosine on the original vectors.
///
/// Exact search over the whole corpus in blocks of queries (``FlatIndex``), with the vector itself
/// removed from its own list. Returns `N × k` neighbour indices, row-major.
///
/// - Parameters:
///   - corpus: `N × d` vectors (any norm).
///   - k: neighbours per vector (`k < N`).
///   - progress: called with the number of vectors done so far.
public func mineNeighbours(corpus: Matrix, k: Int, progress: (Int) -> Void = { _ in }) -> [Int32] {
    precondition(k >= 1 && k < corpus.rows, "Need 1 <= k < N to mine neighbours, got k = \(k), N = \(corpus.rows)")
    let index = FlatIndex(vectors: corpus)
    var neighbours = [Int32](repeating: 0, count: corpus.rows * k)
    let block = 2048
    for start in stride(from: 0, to: corpus.rows, by: block) {
        let end = min(start + block, corpus.rows)
        let results = index.search(index.vectors.gatherRows(start ..< end), k: k + 1)
        for q in 0 ..< end - start {
            let own = Int32(start + q)
            var written = 0
            for candidate in results.indices[q * (k + 1) ..< (q + 1) * (k + 1)] where candidate != own && written < k {
                neighbours[(start + q) * k + written] = candidate
                written += 1
            }
        }
        progress(end)
    }
    return neighbours
}
