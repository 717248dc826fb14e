extension EmbeddingPipeline {
    /// What ``write(_:to:output:blockRows:progress:)`` stores for each row.
    public enum FileOutput: Sendable {
        /// The size-`m` embeddings (unit rows): ready for inner-product search.
        case embeddings
        /// `T(x)` with every output coordinate, not normalised: exactly what the transform computes.
        case transformed
    }

    /// Streams `input` through the pipeline into a float32 `.npy` at `path`, block by block (constant memory),
    /// written atomically: the file appears only when complete, and a failure leaves whatever was there before.
    /// Every row is checked as ``/EmbeddingMath/EmbeddingPipeline/checked(_:firstRow:)`` checks it (the transformed vectors: finite), so a model or
    /// an input that gives NaN, or an embedding without a direction, stops the write instead of reaching the file.
    ///
    /// - Parameters:
    ///   - input: the raw vectors, `n × d`.
    ///   - path: the `.npy` to write.
    ///   - output: the embeddings, or the transformed vectors.
    ///   - blockRows: rows read and written at a time.
    ///   - progress: rows done and in all.
    /// - Throws: ``/EmbeddingMath/SourcePipelineError`` naming `input` and the row; the writer's
    ///   ``/EmbeddingIO/EmbeddingIOError``.
    public func write(_ input: any RowSource, to path: String, output: FileOutput = .embeddings, blockRows: Int = 8192,
                      progress: ((Int, Int) -> Void)? = nil) throws {
        precondition(input.dimension == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(input.dimension)")
        let writer = try NpyWriter(path: path, rows: input.rowCount, columns: width(of: output))
        try forEachBlock(of: input, output: output, blockRows: blockRows) { first, rows in
            try writer.append(rows)
            progress?(first + rows.rows, input.rowCount)
        }
        try writer.finish()
    }

    /// The columns of each row of `output`: `m` for embeddings, `D` for the transformed vectors.
    public func width(of output: FileOutput) -> Int { output == .embeddings ? dimension : outputDimension }

    /// The rows of `output` for every block of `input`, checked as ``write(_:to:output:blockRows:progress:)`` checks
    /// them, handed to `body` with the index of the block's first row: the one road of `apply`, the bindings'
    /// `transform` and every other writer of embeddings.
    ///
    /// - Parameters:
    ///   - input: the raw vectors, `n × d`.
    ///   - output: the embeddings (`b × m`, unit rows), or the transformed vectors (`b × D`).
    ///   - blockRows: rows read and computed at a time.
    ///   - body: receives each block's first row and its output rows, in order.
    /// - Throws: ``/EmbeddingMath/SourcePipelineError`` naming `input` and the row; the reader's and `body`'s errors.
    public func forEachBlock(of input: any RowSource, output: FileOutput, blockRows: Int = 8192,
                             _ body: (_ first: Int, _ rows: Matrix) throws -> Void) throws {
        precondition(input.dimension == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(input.dimension)")
        do {
            try input.forEachBlock(rows: blockRows) { first, block in
                try body(first, output == .embeddings ? checked(block, firstRow: first) : checkedTransformed(block, firstRow: first))
            }
        } catch let error as PipelineError {
            throw SourcePipelineError(source: input.sourceName, error: error)
        }
    }

    /// How a `.npy` file holds codes of `precision` at size `m`: its element type and columns (`<f4` or `<f2` with `m`
    /// values, `|i1` with `m` levels, `|u1` with the packed `precision.bytes(dimension: m)` bytes).
    public static func codeFileLayout(_ precision: Precision, dimension m: Int) -> (element: NpyWriter.Element, columns: Int) {
        switch precision {
        case .float32: (.float32, m)
        case .float16: (.float16, m)
        case .int8: (.int8, m)
        case .int4, .int2, .binary: (.uint8, precision.bytes(dimension: m))
        }
    }

    /// The codes a file of `precision` stores for raw rows `x` (what ``writeCodes(_:to:precision:calibration:blockRows:progress:)``
    /// writes, and what stored codes are checked against): levels of the unit full vectors `y`'s first `m`
    /// coordinates for the calibrated precisions, the unit size-`m` rows themselves for float32 and float16.
    /// - Throws: ``/EmbeddingMath/PipelineError`` for a row (counted from `firstRow`) that is not finite or has no direction.
    public func storedCodes(_ x: Matrix, precision: Precision, calibration: CodeCalibration?, firstRow: Int = 0) throws(PipelineError)
        -> CodeMatrix
    {
        if precision.needsCalibration {
            return CodeMatrix(encoding: try checkedUnitTransformed(x, firstRow: firstRow), dimension: dimension,
                              precision: precision, calibration: calibration)
        }
        return CodeMatrix(encoding: try checked(x, firstRow: firstRow), dimension: dimension, precision: precision, calibration: nil)
    }

    /// Streams `input` into the `.npy` of its size-`m` codes at `precision` (the pipeline's size `m`), written
    /// atomically like ``write(_:to:output:blockRows:progress:)``:
    /// - `float32` and `float16`: the embeddings `y[:m] / ‖y[:m]‖` (`<f4` or `<f2`, `n × m`);
    /// - `int8`: the levels of the unit full vectors' first `m` coordinates less 128 (`|i1`, `n × m`);
    /// - `int4`, `int2`, `binary`: the levels packed from the most significant bit down (`|u1`, `n × ⌈m·bits/8⌉`;
    ///   binary exactly as `numpy.packbits(y[:m] > centre[:m], axis=1)`).
    /// Codes below 16 bits come from ``/EmbeddingMath/CodeMatrix/init(encoding:dimension:precision:calibration:)`` with
    /// `calibration`, the model's, so that queries and documents written apart agree.
    ///
    /// - Parameters:
    ///   - input: the raw vectors, `n × d`.
    ///   - path: the `.npy` to write.
    ///   - precision: the codes.
    ///   - calibration: the model's calibration (needed below 16 bits).
    ///   - blockRows: rows read and written at a time.
    ///   - progress: rows done and in all.
    /// - Throws: ``/EmbeddingMath/SourcePipelineError`` naming `input` and the row; the writer's
    ///   ``/EmbeddingIO/EmbeddingIOError``.
    public func writeCodes(_ input: any RowSource, to path: String, precision: Precision, calibration: CodeCalibration?,
                           blockRows: Int = 8192, progress: ((Int, Int) -> Void)? = nil) throws {
        let (element, columns) = Self.codeFileLayout(precision, dimension: dimension)
        let writer = try NpyWriter(path: path, rows: input.rowCount, columns: columns, element: element)
        try forEachCodeBlock(of: input, precision: precision, calibration: calibration, blockRows: blockRows) { first, codes in
            try writer.append(bytes: codes.bytes)
            progress?(first + codes.rows, input.rowCount)
        }
        try writer.finish()
    }

    /// The codes (``storedCodes(_:precision:calibration:firstRow:)``) of every block of `input`, handed to `body` with
    /// the index of the block's first row: the one road of `apply --precision` and the bindings' codes.
    ///
    /// - Parameters:
    ///   - input: the raw vectors, `n × d`.
    ///   - precision: the codes.
    ///   - calibration: the model's calibration (needed below 16 bits).
    ///   - blockRows: rows read and encoded at a time.
    ///   - body: receives each block's first row and its codes, in order.
    /// - Throws: ``/EmbeddingMath/SourcePipelineError`` naming `input` and the row; the reader's and `body`'s errors.
    public func forEachCodeBlock(of input: any RowSource, precision: Precision, calibration: CodeCalibration?,
                                 blockRows: Int = 8192, _ body: (_ first: Int, _ codes: CodeMatrix) throws -> Void) throws {
        precondition(input.dimension == inputDimension, "The pipeline takes \(inputDimension)-d vectors, got \(input.dimension)")
        precondition(!precision.needsCalibration || calibration != nil, "\(precision) codes need a calibration")
        do {
            try input.forEachBlock(rows: blockRows) { first, block in
                try body(first, try storedCodes(block, precision: precision, calibration: calibration, firstRow: first))
            }
        } catch let error as PipelineError {
            throw SourcePipelineError(source: input.sourceName, error: error)
        }
    }
}
