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
        let width = output == .embeddings ? dimension : outputDimension
        let writer = try NpyWriter(path: path, rows: input.rowCount, columns: width)
        do {
            try input.forEachBlock(rows: blockRows) { first, block in
                try writer.append(output == .embeddings ? checked(block, firstRow: first) : checkedTransformed(block, firstRow: first))
                progress?(first + block.rows, input.rowCount)
            }
        } catch let error as PipelineError {
            throw SourcePipelineError(source: input.sourceName, error: error)
        }
        try writer.finish()
    }
}
