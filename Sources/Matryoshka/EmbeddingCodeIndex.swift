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
