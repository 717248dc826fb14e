import EmbeddingMath
import Synchronization

/// A set of embedded items: an `n × d` matrix whose row `i` is the vector of `ids[i]`, with its sources.
public struct EmbeddingSet: Sendable {
    /// The vectors, one row per item (`count × dimension`), as stored (not normalised).
    public var vectors: Matrix
    /// Item ids; `ids[i]` names row `i`.
    public var ids: [String]
    /// The `.npy` file the vectors came from.
    public var vectorsPath: String
    /// The id list (`.txt`, or BEIR `.jsonl`) the ids came from.
    public var idsPath: String

    /// Number of items `n`.
    public var count: Int { vectors.rows }
    /// Vector dimension `d`.
    public var dimension: Int { vectors.columns }

    /// An in-memory set (tests and derived data); checked like a loaded one.
    public init(vectors: Matrix, ids: [String], vectorsPath: String = "<memory>", idsPath: String = "<memory>")
        throws(EmbeddingIOError)
    {
        self.vectors = vectors
        self.ids = ids
        self.vectorsPath = vectorsPath
        self.idsPath = idsPath
        try validate()
    }

    /// Loads `vectorsPath` (`.npy`) and `idsPath` (one id per line, or BEIR `.jsonl`) and validates them.
    ///
    /// Fails before reading when the vectors and the copies the in-memory steps make of them would not fit in the
    /// memory available (``checkFitsInMemory(_:copies:available:)``).
    public static func load(vectors vectorsPath: String, ids idsPath: String) throws(EmbeddingIOError) -> EmbeddingSet {
        let file = try NpyFile(path: vectorsPath, validated: false)
        try checkFitsInMemory(file)
        let ids = idsPath.hasSuffix(".jsonl") ? try readJSONLinesIds(idsPath) : try readIdList(idsPath)
        return try EmbeddingSet(vectors: try file.block(0 ..< file.rowCount), ids: ids, vectorsPath: vectorsPath,
                                idsPath: idsPath)
    }

    /// Checks that rows and ids correspond and that every vector is finite and non-zero.
    ///
    /// Throws the first problem found, naming the file and the row (0-based, as numpy counts).
    public func validate() throws(EmbeddingIOError) {
        guard vectors.rows > 0 else { throw .emptyFile(path: vectorsPath, expected: "at least one vector") }
        guard vectors.columns > 0 else { throw .invalidNpy(path: vectorsPath, problem: "vectors have dimension 0") }
        guard vectors.rows == ids.count else {
            throw .rowCountMismatch(vectorsPath: vectorsPath, rows: vectors.rows, idsPath: idsPath, ids: ids.count)
        }
        try checkUnique(ids, path: idsPath) { $0 + 1 }
        try validateRows(vectors, path: vectorsPath, firstRow: 0)
    }
}

/// Throws for the first row of `matrix` that holds a NaN or an infinity or is all zeros.
///
/// `firstRow` is added to row numbers in messages (for files read in blocks). Large matrices are checked in row
/// chunks in parallel; the error reported is always the first bad row's.
public func validateRows(_ matrix: Matrix, path: String, firstRow: Int) throws(EmbeddingIOError) {
    let d = matrix.columns
    // The first bad row of each chunk, by its chunk's start; the smallest one wins.
    let problems = Mutex<[Int: EmbeddingIOError]>([:])
    matrix.storage.withUnsafeBufferPointer { buffer in
        let base = UncheckedSendable(buffer.baseAddress!)
        Parallelism.forEachRowChunk(rows: matrix.rows, columns: d) { range in
            for i in range {
                let row = base.value + i * d
                let state = Kernels.rowState(row, count: d)
                guard state != .valid else { continue }
                let problem: EmbeddingIOError
                if state == .nonFinite {
                    let j = (0 ..< d).first { !row[$0].isFinite }!
                    problem = .nonFinite(path: path, row: firstRow + i, column: j, value: row[j])
                } else {
                    problem = .zeroVector(path: path, row: firstRow + i)
                }
                problems.withLock { $0[range.lowerBound] = problem }
                return
            }
        }
    }
    if let first = problems.withLock({ $0.min { $0.key < $1.key }?.value }) { throw first }
}

extension EmbeddingSet: RowSource {
    /// Number of items.
    public var rowCount: Int { vectors.rows }
    /// The vector file, for messages.
    public var sourceName: String { vectorsPath }
    /// Rows `range` of the vectors.
    public func block(_ range: Range<Int>) -> Matrix { vectors.block(range) }
    /// The vectors at `indices`.
    public func gather(_ indices: [Int]) -> Matrix { vectors.gatherRows(indices) }
}
