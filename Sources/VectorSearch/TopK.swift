import EmbeddingMath

/// Per-query bounded best-`k` lists, filled block by block from rows of scores.
///
/// Each list is kept sorted by score, descending; among equal scores the smaller corpus index comes
/// first (documents are offered in increasing index order and an equal score never displaces an
/// earlier one). A row of scores is scanned 32 at a time against the list's current threshold
/// (``Kernels/firstAbove(_:count:threshold:)``), so scores that cannot enter cost a fraction of a
/// cycle each: this is what makes small-`m` search fast.
public struct TopKAccumulator: Sendable {
    /// Number of lists (queries).
    public let queryCount: Int
    /// Capacity of each list.
    public let k: Int
    /// `queryCount × k` scores, best first; `-infinity` in unfilled slots.
    public private(set) var scores: [Float]
    /// `queryCount × k` corpus indices matching ``scores``; `-1` in unfilled slots.
    public private(set) var indices: [Int32]
    private var filled: [Int32]

    /// Empty lists for `queryCount` queries, `k` slots each.
    public init(queryCount: Int, k: Int) {
        precondition(k > 0, "top-k needs k > 0, got \(k)")
        self.queryCount = queryCount
        self.k = k
        scores = [Float](repeating: -.infinity, count: queryCount * k)
        indices = [Int32](repeating: -1, count: queryCount * k)
        filled = [Int32](repeating: 0, count: queryCount)
    }

    /// Offers `count` scores of query `query` for corpus indices `firstIndex ..< firstIndex + count`.
    ///
    /// Scores must be offered in increasing corpus index order across calls for ties to resolve by corpus
    /// order. NaN scores are never taken.
    public mutating func offer(query: Int, scores row: UnsafePointer<Float>, count: Int, firstIndex: Int) {
        let k = self.k
        let base = query * k
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
            indices.withUnsafeMutableBufferPointer { indexBuffer in
                let s = scoreBuffer.baseAddress! + base
                let ix = indexBuffer.baseAddress! + base
                var size = Int(filled[query])
                var threshold = size == k ? s[k - 1] : -Float.infinity
                var j = Kernels.firstAbove(row, count: count, threshold: threshold)
                while j < count {
                    Self.insert(row[j], Int32(firstIndex + j), s, ix, &size, k)
                    if size == k { threshold = s[k - 1] }
                    j += 1
                    j += Kernels.firstAbove(row + j, count: count - j, threshold: threshold)
                }
                filled[query] = Int32(size)
            }
        }
    }

    /// Inserts `(score, index)` after every entry with a score `>= score`, dropping the last when full.
    static func insert(_ score: Float, _ index: Int32, _ s: UnsafeMutablePointer<Float>,
                       _ ix: UnsafeMutablePointer<Int32>, _ size: inout Int, _ k: Int) {
        var position = size == k ? k - 1 : size
        while position > 0, s[position - 1] < score {
            if position < k {
                s[position] = s[position - 1]
                ix[position] = ix[position - 1]
            }
            position -= 1
        }
        s[position] = score
        ix[position] = index
        if size < k { size += 1 }
    }

    /// The finished lists as ``SearchResults``.
    public func results() -> SearchResults {
        SearchResults(queryCount: queryCount, k: k, indices: indices, scores: scores)
    }
}
