/// The outcome of a `k`-nearest-neighbour search: a `queryCount × k` block of corpus indices and scores.
///
/// Row `q` lists query `q`'s neighbours best first; when the corpus holds fewer than `k` vectors the
/// unused slots hold index `-1` and score `-infinity` (as faiss does).
public struct SearchResults: Sendable, Equatable {
    /// Number of queries (rows).
    public let queryCount: Int
    /// Neighbours per query (columns).
    public let k: Int
    /// Corpus row indices, `queryCount × k`, row-major.
    public let indices: [Int32]
    /// Cosine similarities matching ``indices``.
    public let scores: [Float]

    /// The neighbours of query `q`, best first, without unused slots.
    public func neighbours(of q: Int) -> [Int] {
        indices[q * k ..< (q + 1) * k].prefix { $0 >= 0 }.map(Int.init)
    }

    /// The scores of query `q`'s neighbours, best first, without unused slots.
    public func neighbourScores(of q: Int) -> [Float] {
        Array(scores[q * k ..< (q + 1) * k].prefix { $0 > -.infinity })
    }
}
