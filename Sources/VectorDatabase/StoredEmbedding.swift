import EmbeddingMath

/// Queries and documents as a table stores them, by the one ``/EmbeddingMath/EmbeddingPipeline``: the size-`m` embedding
/// `T(x)[:m] / ‖T(x)[:m]‖` in `embedding`, and with full vectors `T(x) / ‖T(x)‖` in `full` (for re-ranking).
///
/// `load` embeds rows with it; `search --postgres` and the server embed queries with one built from the table's own
/// layout (``init(table:layout:transform:fingerprint:)``), which refuses a transform other than the one that loaded
/// the table, so stored rows and queries cannot take different roads.
public struct StoredEmbedding: Sendable {
    /// The size-`m` pipeline of column `embedding`.
    public let prefix: EmbeddingPipeline
    /// The full-size pipeline of column `full`, when the table stores it.
    public let full: EmbeddingPipeline?
    /// The layout recorded in the table's comment.
    public let layout: VectorTableLayout

    /// The form a load writes: `transform` (named by `fingerprint`: `sha256:…` of a model file, `none` for raw
    /// vectors) at size `m` (default: its whole output), with full vectors when `storeFull`, as `type`.
    public init(transform: any EmbeddingTransform, fingerprint: String, dimension m: Int?, storeFull: Bool,
                type: VectorType) throws(PipelineError) {
        prefix = try EmbeddingPipeline(transform, dimension: m)
        full = storeFull ? try EmbeddingPipeline(transform) : nil
        layout = VectorTableLayout(model: fingerprint, dimension: prefix.dimension,
                                   fullDimension: full?.dimension, type: type)
    }

    /// The form of an existing table's rows, for its queries: refused unless `fingerprint` names the transform that
    /// loaded it and the transform can give its sizes.
    public init(table: TableName, layout: VectorTableLayout, transform: any EmbeddingTransform,
                fingerprint: String) throws(VectorDatabaseError) {
        guard layout.model == fingerprint else {
            throw .layoutMismatch(table: table.description, problem:
                "was loaded with another model (\(layout.model)); this one is \(fingerprint). Search it with the model that loaded it.")
        }
        do {
            prefix = try EmbeddingPipeline(transform, dimension: layout.dimension)
            full = try layout.fullDimension.map { _ in try EmbeddingPipeline(transform) }
        } catch {
            throw .layoutMismatch(table: table.description, problem: "stores \(layout.dimension)-d prefixes: \(error).")
        }
        if let stored = layout.fullDimension, stored != full?.dimension {
            throw .layoutMismatch(table: table.description,
                                  problem: "stores \(stored)-d full vectors; this transform's output has \(full?.dimension ?? 0).")
        }
        self.layout = layout
    }

    /// The stored vectors of raw rows `x` (`n × d`): unit `n × m` prefixes and, when stored (and `full` is asked),
    /// unit `n × D` full vectors, each row checked (``/EmbeddingMath/EmbeddingPipeline/checked(_:firstRow:)``).
    ///
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a row (counted from `firstRow`) whose embedding has no direction
    ///   or is not finite: nothing of the kind reaches a table or a query.
    public func embed(_ x: Matrix, full wantsFull: Bool = true, firstRow: Int = 0) throws(PipelineError)
        -> (prefixes: Matrix, full: Matrix?)
    {
        (try prefix.checked(x, firstRow: firstRow), wantsFull ? try full?.checked(x, firstRow: firstRow) : nil)
    }
}
