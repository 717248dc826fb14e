import EmbeddingMath
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-query bounded best-`k` lists, filled block by block from rows of scores.
///
/// Each list is kept sorted by score, descending; among equal scores the smaller corpus index comes first.
/// Documents offered in increasing index order get that order for free (an equal score never displaces an
/// earlier one); ``merge(_:queryOffset:)`` combines lists built over different documents in the same order,
/// so the result of a search is the top `k` under (score descending, index ascending) however the documents
/// were split among jobs. A row of scores is scanned 32 at a time against the list's current threshold
/// (``/EmbeddingMath/Kernels/firstAbove(_:count:threshold:)``), so scores that cannot enter cost a fraction of a cycle each.
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
    /// Per query, a score that an offered document must exceed to be taken (`-infinity`: none).
    private var floors: [Float]?

    /// Empty lists for `queryCount` queries, `k` slots each.
    ///
    /// - Parameters:
    ///   - queryCount: the number of lists.
    ///   - k: slots per list.
    ///   - floors: per query, a score at or below which nothing is taken: the `k`-th score of a list over earlier
    ///     (smaller-index) documents that this one will be merged into, so that a job skips what could never enter
    ///     the merged list.
    public init(queryCount: Int, k: Int, floors: [Float]? = nil) {
        precondition(k > 0, "top-k needs k > 0, got \(k)")
        precondition(floors.map { $0.count == queryCount } ?? true, "\(floors!.count) floors for \(queryCount) queries")
        self.queryCount = queryCount
        self.k = k
        scores = [Float](repeating: -.infinity, count: queryCount * k)
        indices = [Int32](repeating: -1, count: queryCount * k)
        filled = [Int32](repeating: 0, count: queryCount)
        self.floors = floors
    }

    /// The score a new document must exceed to enter query `q`'s list: its `k`-th score when the list is full,
    /// else its floor (`-infinity` without one).
    public func threshold(of q: Int) -> Float {
        Int(filled[q]) == k ? scores[q * k + k - 1] : (floors?[q] ?? -.infinity)
    }

    /// ``threshold(of:)`` for queries `range`.
    public func thresholds(_ range: Range<Int>) -> [Float] { range.map(threshold(of:)) }

    /// Offers `count` scores of query `query` for corpus indices `firstIndex ..< firstIndex + count`.
    ///
    /// Scores must be offered in increasing corpus index order across calls for ties to resolve by corpus
    /// order. NaN scores are never taken.
    public mutating func offer(query: Int, scores row: UnsafePointer<Float>, count: Int, firstIndex: Int) {
        offer(query: query, scores: row, count: count, firstIndex: firstIndex) { _ in }
    }

    /// ``offer(query:scores:count:firstIndex:)``, calling `onInsert` with the corpus index of every document that
    /// enters the list (it may later be pushed out).
    @inline(__always)
    public mutating func offer(query: Int, scores row: UnsafePointer<Float>, count: Int, firstIndex: Int,
                               onInsert: (Int) -> Void) {
        let k = self.k
        let base = query * k
        let floor = floors?[query] ?? -.infinity
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
            indices.withUnsafeMutableBufferPointer { indexBuffer in
                let s = scoreBuffer.baseAddress! + base
                let ix = indexBuffer.baseAddress! + base
                var size = Int(filled[query])
                var threshold = size == k ? s[k - 1] : floor
                var j = Kernels.firstAbove(row, count: count, threshold: threshold)
                while j < count {
                    Self.insert(row[j], Int32(firstIndex + j), s, ix, &size, k)
                    onInsert(firstIndex + j)
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
        if k > 32 {
            // Long lists (shortlists of hundreds): binary search for the first entry below `score`, then one move.
            var low = 0, high = size
            while low < high {
                let middle = (low + high) / 2
                if s[middle] >= score { low = middle + 1 } else { high = middle }
            }
            guard low < k else { return }
            let moved = (size == k ? k - 1 : size) - low
            if moved > 0 {
                memmove(s + low + 1, s + low, moved * MemoryLayout<Float>.stride)
                memmove(ix + low + 1, ix + low, moved * MemoryLayout<Int32>.stride)
            }
            s[low] = score
            ix[low] = index
            if size < k { size += 1 }
            return
        }
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

    /// Merges the lists of `other` (whose query `i` is this accumulator's query `queryOffset + i`) into these:
    /// each list becomes the best `k` of both, by score descending and corpus index ascending.
    public mutating func merge(_ other: TopKAccumulator, queryOffset: Int = 0) {
        precondition(other.k == k && queryOffset + other.queryCount <= queryCount, "Cannot merge these lists")
        var mergedScores = [Float](repeating: -.infinity, count: k)
        var mergedIndices = [Int32](repeating: -1, count: k)
        for q in 0 ..< other.queryCount {
            let otherSize = Int(other.filled[q])
            guard otherSize > 0 else { continue }
            let base = (queryOffset + q) * k, otherBase = q * k
            let size = Int(filled[queryOffset + q])
            var a = 0, b = 0, n = 0
            while n < k, a < size || b < otherSize {
                let takeOwn: Bool
                if a == size { takeOwn = false } else if b == otherSize { takeOwn = true } else {
                    let sa = scores[base + a], sb = other.scores[otherBase + b]
                    takeOwn = sa != sb ? sa > sb : indices[base + a] < other.indices[otherBase + b]
                }
                if takeOwn {
                    mergedScores[n] = scores[base + a]
                    mergedIndices[n] = indices[base + a]
                    a += 1
                } else {
                    mergedScores[n] = other.scores[otherBase + b]
                    mergedIndices[n] = other.indices[otherBase + b]
                    b += 1
                }
                n += 1
            }
            for r in 0 ..< n {
                scores[base + r] = mergedScores[r]
                indices[base + r] = mergedIndices[r]
            }
            filled[queryOffset + q] = Int32(n)
        }
    }

    /// The finished lists as ``SearchResults``.
    public func results() -> SearchResults {
        SearchResults(queryCount: queryCount, k: k, indices: indices, scores: scores)
    }
}
