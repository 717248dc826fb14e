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
    /// Calls `body(firstRow, rows)` for consecutive blocks of at most `blockRows` rows, in order.
    public func forEachBlock(rows blockRows: Int, _ body: (_ firstRow: Int, _ rows: Matrix) throws -> Void) throws {
        precondition(blockRows > 0, "forEachBlock needs a positive block size")
        var start = 0
        while start < rowCount {
            let end = min(start + blockRows, rowCount)
            try body(start, try block(start ..< end))
            start = end
        }
    }
}
