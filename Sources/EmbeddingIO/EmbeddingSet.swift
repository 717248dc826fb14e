import EmbeddingMath

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
    public static func load(vectors vectorsPath: String, ids idsPath: String) throws(EmbeddingIOError) -> EmbeddingSet {
        let ids = idsPath.hasSuffix(".jsonl") ? try readJSONLinesIds(idsPath) : try readIdList(idsPath)
        return try EmbeddingSet(vectors: try readNpy(vectorsPath), ids: ids, vectorsPath: vectorsPath, idsPath: idsPath)
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

/// Throws for the first row of `matrix` that holds a NaN or infinity or is all zeros.
///
/// `firstRow` is added to row numbers in messages (for files read in blocks).
public func validateRows(_ matrix: Matrix, path: String, firstRow: Int) throws(EmbeddingIOError) {
    let d = matrix.columns
    try matrix.storage.withUnsafeBufferPointer { (buffer) throws(EmbeddingIOError) in
        for i in 0 ..< matrix.rows {
            var allZero = true
            var finite = true
            for j in 0 ..< d {
                let x = buffer[i * d + j]
                finite = finite && x.isFinite
                allZero = allZero && x == 0
            }
            if !finite {
                let j = (0 ..< d).first { !buffer[i * d + $0].isFinite }!
                throw .nonFinite(path: path, row: firstRow + i, column: j, value: buffer[i * d + j])
            }
            if allZero { throw .zeroVector(path: path, row: firstRow + i) }
        }
    }
}
