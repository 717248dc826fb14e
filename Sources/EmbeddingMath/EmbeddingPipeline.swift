/// The Matryoshka embedding of size `m`: the one road from raw vectors to what is stored, searched and served.
///
/// `e_m(x) = T(x)[:m] / ‖T(x)[:m]‖₂` for a transform `T` (``IdentityTransform`` for truncation, PCA, an adaptor
/// model): transform, keep the first `m` coordinates, scale to unit length. Queries and documents, in memory, in a
/// file, in a database or behind the server, all go through this type (an index owns one, as faiss's
/// `IndexPreTransform` owns its chain), so the two sides cannot take different roads.
///
/// Only the kept coordinates are computed (``EmbeddingTransform/prefixTransform(_:)``, built once here): an
/// adaptor model folds its front map into its first layer and computes `m` output rows, normalising inside the
/// same pass. Scoring many sizes at once (evaluation) takes ``transformed(_:)`` once and ``cut(_:to:)`` per size,
/// which gives the same vectors up to float rounding.
public struct EmbeddingPipeline: Sendable {
    /// The whole transform `T` (`d → D`).
    public let transform: any EmbeddingTransform
    /// The embedding size `m` (`1 ≤ m ≤ D`).
    public let dimension: Int
    /// `x ↦ T(x)[:m]`, built once.
    private let kept: any EmbeddingTransform
    /// `x ↦ T(x)` by the same road (the fused pass at `m = D` for an adaptor model), built once.
    private let whole: any EmbeddingTransform

    /// The size-`dimension` embedding of `transform` (default: its whole output, `m = D`).
    ///
    /// - Throws: ``PipelineError/sizeOutOfRange(size:outputDimension:)`` unless `1 ≤ m ≤ D`.
    public init(_ transform: any EmbeddingTransform, dimension: Int? = nil) throws(PipelineError) {
        let m = dimension ?? transform.outputDimension
        guard (1 ... max(1, transform.outputDimension)).contains(m) else {
            throw .sizeOutOfRange(size: m, outputDimension: transform.outputDimension)
        }
        self.transform = transform
        self.dimension = m
        kept = transform.prefixTransform(m)
        whole = m == transform.outputDimension ? kept : transform.prefixTransform(transform.outputDimension)
    }

    /// The dimension `d` of the raw vectors it takes.
    public var inputDimension: Int { transform.inputDimension }
    /// The largest size it could be cut to, `D`.
    public var outputDimension: Int { transform.outputDimension }

    /// The same transform at another size `m'` (`1 ≤ m' ≤ D`).
    public func resized(to size: Int) throws(PipelineError) -> EmbeddingPipeline {
        size == dimension ? self : try EmbeddingPipeline(transform, dimension: size)
    }

    /// The embeddings of raw rows `x` (`n × d` → `n × m`, unit rows; a row whose prefix is zero stays zero).
    public func callAsFunction(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(x.columns)")
        return kept.applyNormalized(x)
    }

    /// ``callAsFunction(_:)`` with every embedding checked: a row whose size-`m` prefix is zero (it has no direction) or
    /// holds NaN or ±∞ is an error naming it (`firstRow` is added to the row number, for blocks of a larger input).
    public func checked(_ x: Matrix, firstRow: Int = 0) throws(PipelineError) -> Matrix {
        let embedded = self(x)
        try embedded.storage.withUnsafeBufferPointer { (values) throws(PipelineError) in
            for i in 0 ..< embedded.rows {
                switch Kernels.rowState(values.baseAddress! + i * dimension, count: dimension) {
                case .valid: continue
                case .zero: throw .noDirection(row: firstRow + i, size: dimension)
                case .nonFinite: throw .notFinite(row: firstRow + i, size: dimension)
                }
            }
        }
        return embedded
    }

    /// ``transformed(_:)``, refusing a row that holds NaN or ±∞ (``PipelineError/notFinite(row:size:)``, rows
    /// counted from `firstRow`).
    public func checkedTransformed(_ x: Matrix, firstRow: Int = 0) throws(PipelineError) -> Matrix {
        let y = transformed(x)
        if let bad = y.storage.firstIndex(where: { !$0.isFinite }) {
            throw .notFinite(row: firstRow + bad / y.columns, size: y.columns)
        }
        return y
    }

    /// The unit full vectors `y = T(x) / ‖T(x)‖` (`n × D`): what codes of every size encode
    /// (``CodeMatrix/init(encoding:dimension:precision:calibration:)``), checked as ``checkedTransformed(_:firstRow:)``
    /// checks and refusing a row whose transformed vector is zero.
    /// - Throws: ``PipelineError/notFinite(row:size:)`` or ``PipelineError/noDirection(row:size:)`` (`size` = `D`).
    public func checkedUnitTransformed(_ x: Matrix, firstRow: Int = 0) throws(PipelineError) -> Matrix {
        var y = try checkedTransformed(x, firstRow: firstRow)
        if let zero = y.rowNorms().firstIndex(of: 0) { throw .noDirection(row: firstRow + zero, size: y.columns) }
        y.normalizeRows()
        return y
    }

    /// `T(x)` at the full output size, not normalised (`n × D`): what multi-size evaluation scores, each size by
    /// ``cut(_:to:)``. With an adaptor model this is the same fused pass at `m = D`.
    public func transformed(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(x.columns)")
        return whole.apply(x)
    }

    /// The size-`m` embeddings cut from ``transformed(_:)`` rows: `y[:m] / ‖y[:m]‖` (`n × m`).
    public static func cut(_ transformed: Matrix, to m: Int) -> Matrix {
        transformed.normalizedPrefix(columns: m)
    }

    /// The embeddings of every row of `source`, streamed in blocks (only the `N × m` result is held); `progress`
    /// gets the rows done and in all.
    public func embed(_ source: RowSource, blockRows: Int = 16384, progress: ((Int, Int) -> Void)? = nil) throws -> Matrix {
        precondition(source.dimension == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(source.dimension)")
        let n = source.rowCount
        var storage: [Float] = []
        storage.reserveCapacity(n * dimension)
        try source.forEachBlock(rows: blockRows) { first, block in
            storage.append(contentsOf: self(block).storage)
            progress?(first + block.rows, n)
        }
        return Matrix(rows: n, columns: dimension, storage: storage)
    }
}

/// A ``PipelineError`` about a row of a named source (a file): "`source`, row `r`: …".
public struct SourcePipelineError: Error, Equatable, CustomStringConvertible {
    /// Where the rows came from (``RowSource/sourceName``).
    public let source: String
    /// What was wrong with the row.
    public let error: PipelineError

    public init(source: String, error: PipelineError) {
        self.source = source
        self.error = error
    }

    public var description: String { "\(source), \(error)" }
}

/// A size that a transform cannot be cut to, or an embedding without a direction or not finite.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// The asked size is not in `1 ... outputDimension`.
    case sizeOutOfRange(size: Int, outputDimension: Int)
    /// Row `row`'s embedding is zero: its first `size` transformed coordinates have no direction.
    case noDirection(row: Int, size: Int)
    /// Row `row`'s embedding holds NaN or ±∞ (a model holding such values, or an input that is not finite).
    case notFinite(row: Int, size: Int)

    public var description: String {
        switch self {
        case let .sizeOutOfRange(size, outputDimension):
            return "size \(size) is outside 1...\(outputDimension), the sizes this transform's \(outputDimension)-d output can be cut to"
        case let .noDirection(row, size):
            return "row \(row): its size-\(size) embedding is all zeros and has no direction"
        case let .notFinite(row, size):
            return "row \(row): its size-\(size) embedding is not finite"
        }
    }
}
