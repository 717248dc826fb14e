extension EmbeddingIndex {
    /// Embeds a corpus file read in blocks (only the `N × m` embeddings, and an `N × m'` shortlist tier with
    /// `shortlist`, are held) after checking that they fit in the memory this process may use.
    ///
    /// - Parameters:
    ///   - corpus: the corpus file, `N × d`.
    ///   - pipeline: the embedding of documents and queries.
    ///   - shortlist: the funnel's shortlist size `m'` and length `K`, or nil for exact search at `m`.
    ///   - progress: rows done and in all.
    /// - Throws: ``/EmbeddingIO/EmbeddingIOError/tooLargeForMemory(path:rows:columns:needed:available:)`` before reading, and the
    ///   file's read errors.
    public static func open(_ corpus: NpyFile, pipeline: EmbeddingPipeline, shortlist: (dimension: Int, size: Int)? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> EmbeddingIndex {
        let m = pipeline.dimension
        let needed = corpus.rowCount * (m + (shortlist?.dimension ?? 0)) * 4
        if let available = availableMemoryBytes(), needed > available {
            throw EmbeddingIOError.tooLargeForMemory(path: corpus.path, rows: corpus.rowCount, columns: m, needed: needed,
                                                     available: available)
        }
        let index = try EmbeddingIndex(corpus: corpus, pipeline: pipeline, progress: progress)
        return shortlist.map { index.withShortlist(dimension: $0.dimension, size: $0.size) } ?? index
    }
}
