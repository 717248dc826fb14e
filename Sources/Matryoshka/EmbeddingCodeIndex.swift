/// A corpus held as codes of its size-`m` embedding, searched with the pipeline that made them: the in-memory form
/// of `search --precision` (and of a vector database's quantised copy).
///
/// Every document is embedded once (``/EmbeddingMath/EmbeddingPipeline/checkedUnitTransformed(_:firstRow:)``, the
/// unit full vector `y`) and only its size-`m` codes are kept (`N × bytesPerVector` bytes), plus `y` itself
/// (`N × D` floats) when a shortlist is re-scored, standing in for the full vectors a deployment keeps on disk.
/// Queries go through the same pipeline and are scored as ``/VectorSearch/CodeIndex`` scores them.
public struct EmbeddingCodeIndex: Sendable {
    /// The pipeline of documents and queries alike (its size is the codes' `m`).
    public let pipeline: EmbeddingPipeline
    /// The codes and how queries meet them.
    public let codes: CodeIndex
    /// The unit full vectors kept for re-scoring, and the shortlist length `K` (nil: no re-scoring).
    public let rescore: (size: Int, full: Matrix)?

    /// Embeds and encodes every row of `corpus` (`N × d`, read in blocks).
    ///
    /// - Parameters:
    ///   - corpus: the raw corpus vectors.
    ///   - pipeline: the embedding, at the codes' size `m`.
    ///   - precision: the codes.
    ///   - calibration: the model's calibration (needed below 16 bits).
    ///   - scoring: how queries meet binary codes.
    ///   - rescore: re-score each query's best `K` by the codes with the full vectors (nil: none).
    ///   - blockRows: rows read at a time.
    ///   - progress: rows done and in all.
    /// - Throws: ``/EmbeddingMath/SourcePipelineError`` naming the corpus and the row.
    public init(corpus: any RowSource, pipeline: EmbeddingPipeline, precision: Precision, calibration: CodeCalibration?,
                scoring: CodeScoring = .asymmetric, rescore: Int? = nil, blockRows: Int = 16384,
                progress: ((Int, Int) -> Void)? = nil) throws {
        precondition(!precision.needsCalibration || calibration != nil, "\(precision) codes need a calibration")
        let m = pipeline.dimension
        var bytes: [UInt8] = []
        bytes.reserveCapacity(corpus.rowCount * precision.bytes(dimension: m))
        var full = rescore == nil ? nil : Matrix(rows: corpus.rowCount, columns: pipeline.outputDimension)
        do {
            try corpus.forEachBlock(rows: blockRows) { first, block in
                let y = try pipeline.checkedUnitTransformed(block, firstRow: first)
                bytes += CodeMatrix(encoding: y, dimension: m, precision: precision, calibration: calibration).bytes
                if full != nil {
                    full!.storage.replaceSubrange(first * y.columns ..< (first + y.rows) * y.columns, with: y.storage)
                }
                progress?(first + block.rows, corpus.rowCount)
            }
        } catch let error as PipelineError {
            throw SourcePipelineError(source: corpus.sourceName, error: error)
        }
        self.pipeline = pipeline
        codes = CodeIndex(codes: CodeMatrix(precision: precision, dimension: m, rows: corpus.rowCount, bytes: bytes),
                          calibration: calibration, scoring: scoring)
        self.rescore = full.map { (rescore!, $0) }
    }

    /// An index over codes written earlier (`apply --precision`), checked against the corpus they claim to encode:
    /// the element type and width must be the precision's at the pipeline's size `m`, there must be one row per
    /// corpus row, and the first `check` rows must be exactly this pipeline's codes of the corpus's first rows
    /// (so codes of another model, size, precision or calibration are refused, not searched). Only those rows
    /// are embedded, unless `rescore` asks for the full vectors, which are embedded for every row.
    ///
    /// - Parameters:
    ///   - codes: the codes, as read from their file.
    ///   - name: the codes' file, for errors.
    ///   - corpus: the raw corpus vectors the codes encode.
    ///   - pipeline: the embedding, at the codes' size `m`.
    ///   - precision: the codes' precision.
    ///   - calibration: the model's calibration (needed below 16 bits).
    ///   - scoring: how queries meet binary codes.
    ///   - rescore: re-score each query's best `K` by the codes with the full vectors (nil: none).
    ///   - check: corpus rows re-encoded to check the codes against.
    /// - Throws: ``CodesError`` for codes that do not fit; ``/EmbeddingMath/SourcePipelineError`` for a bad corpus row.
    public init(stored codes: NpyCodes, name: String, corpus: any RowSource, pipeline: EmbeddingPipeline,
                precision: Precision, calibration: CodeCalibration?, scoring: CodeScoring = .asymmetric,
                rescore: Int? = nil, check: Int = 64) throws {
        precondition(!precision.needsCalibration || calibration != nil, "\(precision) codes need a calibration")
        let m = pipeline.dimension
        let (element, columns) = EmbeddingPipeline.codeFileLayout(precision, dimension: m)
        guard precision != .float32, codes.element == element, codes.columns == columns else {
            throw CodesError.shape(path: name, found: "\(codes.rows) × \(codes.columns) '\(codes.element.rawValue)'",
                                   expected: "\(precision.rawValue) codes of size \(m): rows of \(columns) '\(element.rawValue)'")
        }
        guard codes.rows == corpus.rowCount else {
            throw CodesError.rows(path: name, rows: codes.rows, corpus: corpus.sourceName, corpusRows: corpus.rowCount)
        }
        let matrix = CodeMatrix(precision: precision, dimension: m, rows: codes.rows, bytes: codes.bytes)
        let sample = min(check, corpus.rowCount)
        if sample > 0 {
            let expected: [UInt8]
            do {
                expected = try pipeline.storedCodes(try corpus.block(0 ..< sample), precision: precision, calibration: calibration).bytes
            } catch let error as PipelineError {
                throw SourcePipelineError(source: corpus.sourceName, error: error)
            }
            let stride = matrix.bytesPerVector
            if let row = (0 ..< sample).first(where: { expected[$0 * stride ..< ($0 + 1) * stride] != codes.bytes[$0 * stride ..< ($0 + 1) * stride] }) {
                throw CodesError.notThisModel(path: name, row: row, precision: precision, dimension: m)
            }
        }
        var full: Matrix?
        if rescore != nil {
            full = Matrix(rows: corpus.rowCount, columns: pipeline.outputDimension)
            do {
                try corpus.forEachBlock(rows: 16384) { first, block in
                    let y = try pipeline.checkedUnitTransformed(block, firstRow: first)
                    full!.storage.replaceSubrange(first * y.columns ..< (first + y.rows) * y.columns, with: y.storage)
                }
            } catch let error as PipelineError {
                throw SourcePipelineError(source: corpus.sourceName, error: error)
            }
        }
        self.pipeline = pipeline
        self.codes = CodeIndex(codes: matrix, calibration: calibration, scoring: scoring)
        self.rescore = full.map { (rescore!, $0) }
    }

    /// The `k` best documents for each raw query row (`n × d`): by the codes, or by the full vectors among the
    /// codes' best `K` when re-scoring.
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a query that is not finite or has no direction.
    public func search(_ rawQueries: Matrix, k: Int) throws(PipelineError) -> SearchResults {
        codes.search(unitQueries: try pipeline.checkedUnitTransformed(rawQueries), k: k, rescore: rescore)
    }

    /// ``search(_:k:)`` with another shortlist length `K` re-scored (nil: none); the full vectors must be kept
    /// (`rescore` at init) for a `K`.
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a query that is not finite or has no direction.
    public func search(_ rawQueries: Matrix, k: Int, rescoreSize: Int?) throws(PipelineError) -> SearchResults {
        precondition(rescoreSize == nil || rescore != nil, "Re-scoring needs the full vectors kept at init")
        return codes.search(unitQueries: try pipeline.checkedUnitTransformed(rawQueries), k: k,
                            rescore: rescoreSize.map { ($0, rescore!.full) })
    }
}

/// Stored codes that cannot be searched as asked.
public enum CodesError: Error, Equatable, CustomStringConvertible {
    /// The file's element type or width is not the asked precision's at the asked size.
    case shape(path: String, found: String, expected: String)
    /// The file has another number of rows than the corpus.
    case rows(path: String, rows: Int, corpus: String, corpusRows: Int)
    /// A checked row is not this pipeline's code of the corpus row.
    case notThisModel(path: String, row: Int, precision: Precision, dimension: Int)

    public var description: String {
        switch self {
        case let .shape(path, found, expected):
            "\(path): holds \(found); expected \(expected) (as apply --precision writes them)"
        case let .rows(path, rows, corpus, corpusRows):
            "\(path): holds \(rows) rows of codes, but the corpus \(corpus) has \(corpusRows)"
        case let .notThisModel(path, row, precision, dimension):
            "\(path): row \(row) is not this model's \(precision.rawValue) code of size \(dimension) of corpus row \(row): "
                + "codes of another model, size, precision or corpus; write them again with apply --precision "
                + "\(precision.rawValue) --dimension \(dimension) and this model"
        }
    }
}
