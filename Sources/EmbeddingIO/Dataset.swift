/// A data set folder in the layout of `../shared/data`:
///
/// ```
/// DIR/corpus.f32.npy   DIR/corpus_ids.txt    (or corpus.npy; ids from corpus.jsonl when no .txt)
/// DIR/queries.f32.npy  DIR/query_ids.txt     (or queries.npy; ids from queries.jsonl)   optional
/// DIR/qrels/test.tsv   DIR/qrels/train.tsv   (each optional)
/// DIR/models/<name>/   the same files for a second model; qrels fall back to DIR/qrels
/// ```
public struct Dataset: Sendable {
    /// The folder holding the vectors (`DIR`, or `DIR/models/<name>`).
    public let directory: String
    /// A short display name: the folder's name, with `/<model>` for a second model.
    public let name: String
    /// Corpus vectors and ids.
    public var corpus: EmbeddingSet
    /// Query vectors and ids, when the folder has them.
    public var queries: EmbeddingSet?
    /// Folders searched, in order, for `qrels/<split>.tsv`.
    public let qrelsSearchPath: [String]

    /// Loads and validates a data set folder.
    ///
    /// - Parameters:
    ///   - directory: the data set folder.
    ///   - model: a name under `DIR/models/` to load that model's vectors instead of the top-level ones.
    /// - Throws: ``EmbeddingIOError`` naming the missing or faulty file; query and corpus vectors of
    ///   different dimensions are an error.
    public static func load(directory: String, model: String? = nil) throws(EmbeddingIOError) -> Dataset {
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        guard fileExists(root) else { throw .missingFile(path: root, what: "data set folder") }
        var folder = root
        var search = [root]
        var name = lastComponent(root)
        if let model {
            folder = "\(root)/models/\(model)"
            guard fileExists(folder) else {
                let available = listDirectory("\(root)/models")
                throw .missingFile(path: folder, what: "model folder; available: "
                    + (available.isEmpty ? "none" : available.joined(separator: ", ")))
            }
            search = [folder, root]
            name += "/\(model)"
        }
        guard let corpusVectors = firstExisting(in: folder, ["corpus.f32.npy", "corpus.npy"]) else {
            throw .missingFile(path: "\(folder)/corpus.f32.npy", what: "corpus vectors (corpus.f32.npy or corpus.npy)")
        }
        guard let corpusIds = firstExisting(in: folder, ["corpus_ids.txt", "corpus.jsonl"]) else {
            throw .missingFile(path: "\(folder)/corpus_ids.txt", what: "corpus ids (corpus_ids.txt or corpus.jsonl)")
        }
        let corpus = try EmbeddingSet.load(vectors: corpusVectors, ids: corpusIds)
        var queries: EmbeddingSet?
        if let queryVectors = firstExisting(in: folder, ["queries.f32.npy", "queries.npy"]) {
            guard let queryIds = firstExisting(in: folder, ["query_ids.txt", "queries.jsonl"]) else {
                throw .missingFile(path: "\(folder)/query_ids.txt", what: "query ids (query_ids.txt or queries.jsonl)")
            }
            let loaded = try EmbeddingSet.load(vectors: queryVectors, ids: queryIds)
            guard loaded.dimension == corpus.dimension else {
                throw .dimensionMismatch(path: queryVectors, dimension: loaded.dimension,
                                         expectedPath: corpusVectors, expected: corpus.dimension)
            }
            queries = loaded
        }
        return Dataset(directory: folder, name: name, corpus: corpus, queries: queries, qrelsSearchPath: search)
    }

    /// The in-memory data set (tests, derived data).
    public init(directory: String, name: String, corpus: EmbeddingSet, queries: EmbeddingSet?,
                qrelsSearchPath: [String] = []) {
        self.directory = directory
        self.name = name
        self.corpus = corpus
        self.queries = queries
        self.qrelsSearchPath = qrelsSearchPath
    }

    /// The path of `qrels/<split>.tsv`, or nil when no folder on the search path has it.
    public func qrelsPath(split: String) -> String? {
        qrelsSearchPath.lazy.map { "\($0)/qrels/\(split).tsv" }.first(where: fileExists)
    }

    /// The splits that have a qrels file.
    public var availableSplits: [String] {
        let names = qrelsSearchPath.flatMap { listDirectory("\($0)/qrels") }
        return Array(Set(names.filter { $0.hasSuffix(".tsv") }.map { String($0.dropLast(4)) })).sorted()
    }

    /// Reads the judgements of `split`; a missing file is an error listing the splits there are.
    public func qrels(split: String) throws(EmbeddingIOError) -> Qrels {
        guard let path = qrelsPath(split: split) else {
            let available = availableSplits
            throw .missingFile(path: "\(directory)/qrels/\(split).tsv", what: "judgements for split '\(split)'; "
                + (available.isEmpty ? "this data set has none" : "available: \(available.joined(separator: ", "))"))
        }
        return try Qrels.read(path)
    }

    /// The query set, or an error saying the folder has none.
    public func requireQueries() throws(EmbeddingIOError) -> EmbeddingSet {
        guard let queries else {
            throw .missingFile(path: "\(directory)/queries.f32.npy", what: "query vectors, needed for evaluation")
        }
        return queries
    }
}

private func firstExisting(in folder: String, _ names: [String]) -> String? {
    names.lazy.map { "\(folder)/\($0)" }.first(where: fileExists)
}

private func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
