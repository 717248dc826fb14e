import EmbeddingMath

/// Queries and documents as a table stores them, by the one ``/EmbeddingMath/EmbeddingPipeline``: the size-`m` embedding
/// `T(x)[:m] / ‖T(x)[:m]‖` in `embedding` (for a `bit` table its binary code instead: the sign of
/// `y[:m] − centre[:m]` with `y = T(x) / ‖T(x)‖` and the model's calibration, as ``/EmbeddingMath/CodeMatrix`` encodes
/// it), and with full vectors `T(x) / ‖T(x)‖` in `full` (for re-ranking).
///
/// `load` embeds rows with it; `search --postgres` and the server embed queries with one built from the table's own
/// layout (``init(table:layout:transform:fingerprint:calibration:)``), which refuses a transform other than the one that loaded
/// the table, so stored rows and queries cannot take different roads.
public struct StoredEmbedding: Sendable {
    /// The size-`m` pipeline of column `embedding`.
    public let prefix: EmbeddingPipeline
    /// The full-size pipeline of column `full`, when the table stores it.
    public let full: EmbeddingPipeline?
    /// The layout recorded in the table's comment.
    public let layout: VectorTableLayout
    /// The calibration whose centres a `bit` table's codes are taken after (nil for the float types).
    public let calibration: CodeCalibration?

    /// The form a load writes: `transform` (named by `fingerprint`: `sha256:…` of a model file, `none` for raw
    /// vectors) at size `m` (default: its whole output), with full vectors when `storeFull`, as `type`.
    /// - Parameters:
    ///   - transform: the embedding transform (a model, PCA or truncation).
    ///   - fingerprint: what names it in the table's comment.
    ///   - m: the size of `embedding` (nil: the transform's whole output).
    ///   - storeFull: whether the full vectors are stored too (for re-ranking).
    ///   - type: the column type of `embedding`.
    ///   - calibration: the model's calibration; a `bit` table needs it (its centres), the float types ignore it.
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a size the transform cannot give;
    ///   ``VectorDatabaseError/noCalibration(fingerprint:)`` for a `bit` table without a calibration.
    public init(transform: any EmbeddingTransform, fingerprint: String, dimension m: Int?, storeFull: Bool,
                type: VectorType, calibration: CodeCalibration? = nil) throws {
        prefix = try EmbeddingPipeline(transform, dimension: m)
        full = storeFull ? try EmbeddingPipeline(transform) : nil
        layout = VectorTableLayout(model: fingerprint, dimension: prefix.dimension,
                                   fullDimension: full?.dimension, type: type)
        self.calibration = try Self.checked(calibration, for: layout)
    }

    /// `calibration` when the layout needs one and it covers the table's `m` coordinates, nil for the float types.
    static func checked(_ calibration: CodeCalibration?, for layout: VectorTableLayout) throws(VectorDatabaseError)
        -> CodeCalibration?
    {
        guard layout.type == .bit else { return nil }
        guard let calibration, calibration.dimension >= layout.dimension else {
            throw .noCalibration(fingerprint: layout.model)
        }
        return calibration
    }

    /// The form of an existing table's rows, for its queries: refused unless `fingerprint` names the transform that
    /// loaded it and the transform can give its sizes.
    /// - Parameters:
    ///   - table: the table (for messages).
    ///   - layout: its recorded layout.
    ///   - transform: the transform its queries go through.
    ///   - fingerprint: what names `transform` (it must be the layout's model).
    ///   - calibration: the model's calibration (a `bit` table needs it).
    public init(table: TableName, layout: VectorTableLayout, transform: any EmbeddingTransform,
                fingerprint: String, calibration: CodeCalibration? = nil) throws(VectorDatabaseError) {
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
        self.calibration = try Self.checked(calibration, for: layout)
    }

    /// The stored vectors of raw rows `x` (`n × d`): unit `n × m` prefixes (for `bit`, the codes' `±1`) and, when
    /// stored (and `full` is asked), unit `n × D` full vectors, each row checked
    /// (``/EmbeddingMath/EmbeddingPipeline/checked(_:firstRow:)``).
    ///
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a row (counted from `firstRow`) whose embedding has no direction
    ///   or is not finite: nothing of the kind reaches a table or a query.
    public func embed(_ x: Matrix, full wantsFull: Bool = true, firstRow: Int = 0) throws(PipelineError)
        -> (prefixes: Matrix, full: Matrix?)
    {
        let stored: Matrix
        if let calibration {
            let y = try prefix.checkedUnitTransformed(x, firstRow: firstRow)
            stored = CodeMatrix(encoding: y, dimension: layout.dimension, precision: .binary, calibration: calibration)
                .decoded(calibration: calibration)
        } else {
            stored = try prefix.checked(x, firstRow: firstRow)
        }
        return (stored, wantsFull ? try full?.checked(x, firstRow: firstRow) : nil)
    }
}
