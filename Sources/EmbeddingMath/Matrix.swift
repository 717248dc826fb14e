/// A dense row-major `rows × columns` matrix of `Float`, the one array shape used everywhere.
///
/// Element `(i, j)` is `storage[i * columns + j]`; a batch of `n` vectors of dimension `d` is an
/// `n × d` matrix with one vector per row (batch-first, as in faiss).
public struct Matrix: Sendable, Equatable {
    /// Number of rows (`n`, the number of vectors).
    public let rows: Int
    /// Number of columns (`d`, the dimension of each vector).
    public let columns: Int
    /// Row-major elements, `rows * columns` of them.
    public var storage: [Float]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: value, count: rows * columns)
    }

    /// A `rows × columns` matrix whose every element `initializer` writes (no zero fill first: for buffers about
    /// to be overwritten whole, such as a block read from a file or the result of a product with `β = 0`).
    public init<E: Error>(rows: Int, columns: Int,
                          initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws(E) -> Void) throws(E) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        var failure: E?
        storage = [Float](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            do throws(E) { try initializer(buffer) } catch { failure = error }
            count = rows * columns
        }
        if let failure { throw failure }
    }

    /// A `rows × columns` matrix over existing row-major `storage` (`storage.count == rows * columns`).
    public init(rows: Int, columns: Int, storage: [Float]) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows) × \(columns)")
        precondition(storage.count == rows * columns,
                     "Matrix \(rows) × \(columns) needs \(rows * columns) elements, got \(storage.count)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix from nested rows; every row must have the same length.
    public init(_ nested: [[Float]]) {
        let columns = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == columns }, "Matrix rows must all have \(columns) elements")
        self.init(rows: nested.count, columns: columns, storage: nested.flatMap { $0 })
    }

    /// Element `(row, column)`.
    @inlinable
    public subscript(row: Int, column: Int) -> Float {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// A copy of row `i` as an array of `columns` elements.
    public func row(_ i: Int) -> [Float] {
        precondition(i >= 0 && i < rows, "Row \(i) out of range 0..<\(rows)")
        return Array(storage[i * columns ..< (i + 1) * columns])
    }

    /// Row `i` as a slice of ``storage`` (no copy until it is changed): `columns` elements.
    public func rowSlice(_ i: Int) -> ArraySlice<Float> {
        precondition(i >= 0 && i < rows, "Row \(i) out of range 0..<\(rows)")
        return storage[i * columns ..< (i + 1) * columns]
    }

    /// The matrix's rows as nested arrays (for tests and small outputs).
    public var nestedRows: [[Float]] { (0 ..< rows).map(row) }
}
