import Dispatch

/// An `n × d` matrix of vectors that is read in blocks of rows: an in-memory ``Matrix``, or a file too large
/// to hold (`NpyFile` in EmbeddingIO). Streaming steps (covariance, neighbour mining, label-free evaluation,
/// adapting a corpus) take one of these, so memory stays bounded by a block whatever the corpus size.
public protocol RowSource {
    /// Number of rows `n`.
    var rowCount: Int { get }
    /// Row length `d`.
    var dimension: Int { get }
    /// Where the rows come from, for messages.
    var sourceName: String { get }
    /// Rows `range` as a `range.count × d` matrix.
    func block(_ range: Range<Int>) throws -> Matrix
    /// The rows at `indices` (any order, repeats allowed) as an `indices.count × d` matrix.
    func gather(_ indices: [Int]) throws -> Matrix
}

extension Matrix: RowSource {
    /// Equal to ``rows``.
    public var rowCount: Int { rows }
    /// Equal to ``columns``.
    public var dimension: Int { columns }
    /// `"<memory>"`.
    public var sourceName: String { "<memory>" }

    /// Rows `range`, copied.
    public func block(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Rows \(range) of \(rows)")
        return Matrix(rows: range.count, columns: columns,
                      storage: Array(storage[range.lowerBound * columns ..< range.upperBound * columns]))
    }

    /// ``gatherRows(_:)``.
    public func gather(_ indices: [Int]) -> Matrix { gatherRows(indices) }
}

extension RowSource {
    /// Calls `body(firstRow, rows)` for consecutive blocks of at most `blockRows` rows, in order, reading each next
    /// block on a background thread while `body` works on the current one (a read error surfaces when its block's
    /// turn comes, so errors still arrive in row order). It returns, or throws, only once no read is in flight, and
    /// it stops with ``Cancelled`` between blocks when ``Cancellation/current`` is raised.
    public func forEachBlock(rows blockRows: Int, _ body: (_ firstRow: Int, _ rows: Matrix) throws -> Void) throws {
        precondition(blockRows > 0, "forEachBlock needs a positive block size")
        let count = rowCount
        guard count > 0 else { return }
        let source = UncheckedSendable(self)
        // The reading thread sees the caller's thread count and cancellation flag (task-locals do not cross to it).
        let threads = Parallelism.threads, flag = Cancellation.current
        func range(_ start: Int) -> Range<Int> { start ..< min(start + blockRows, count) }
        func read(_ rows: Range<Int>) -> PendingBlock {
            let pending = PendingBlock()
            DispatchQueue.global().async {
                pending.result = Result {
                    try Parallelism.$threads.withValue(threads) {
                        try Cancellation.$current.withValue(flag) { try source.value.block(rows) }
                    }
                }
                pending.done.signal()
            }
            return pending
        }
        var start = 0
        var next: PendingBlock? = read(range(0))
        // A read still in flight when `body` or a read throws finishes before this returns: the source (memory a
        // binding lends, say) may be gone once the caller has the error.
        defer { next?.done.wait() }
        while start < count {
            let pending = next!
            next = nil
            pending.done.wait()
            let current = try pending.result!.get()
            let end = start + current.rows
            if end < count { next = read(range(end)) }
            try Cancellation.check()
            try body(start, current)
            start = end
        }
    }
}

/// A block being read on a background thread: its result is set once, before `done` is signalled.
private final class PendingBlock: @unchecked Sendable {
    var result: Result<Matrix, any Error>?
    let done = DispatchSemaphore(value: 0)
}
