/// A data set folder in the layout of `../shared/data`:
///
/// ```
/// DIR/corpus.f32.npy   DIR/corpus_ids.txt    (or corpus.npy; ids from corpus.jsonl when no .txt)
/// DIR/queries.f32.npy  DIR/query_ids.txt     (or queries.npy; ids from queries.jsonl)   optional
/// DIR/qrels/test.tsv   DIR/qrels/train.tsv   (each optional)
/// DIR/models/<name>/   the same files for a second model; qrels fall back to DIR/qrels
/// ```
public struct Dataset: QrelsLocating, Sendable {
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
        try DatasetLayout(directory: directory, model: model).load()
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

    /// The query set, or an error saying the folder has none.
    public func requireQueries() throws(EmbeddingIOError) -> EmbeddingSet {
        guard let queries else {
            throw .missingFile(path: "\(directory)/queries.f32.npy", what: "query vectors, needed for evaluation")
        }
        return queries
    }
}

/// Where a data set folder's files are, found without reading them: what streaming commands open when the
/// corpus is too large to load (see ``Dataset`` for the layout).
public struct DatasetLayout: QrelsLocating, Sendable {
    /// The folder holding the vectors (`DIR`, or `DIR/models/<name>`).
    public let directory: String
    /// A short display name: the folder's name, with `/<model>` for a second model.
    public let name: String
    /// `corpus.f32.npy` (or `corpus.npy`).
    public let corpusVectors: String
    /// `corpus_ids.txt` (or `corpus.jsonl`).
    public let corpusIds: String
    /// `queries.f32.npy` (or `queries.npy`), when present.
    public let queryVectors: String?
    /// `query_ids.txt` (or `queries.jsonl`), when there are query vectors.
    public let queryIds: String?
    /// Folders searched, in order, for `qrels/<split>.tsv`.
    public let qrelsSearchPath: [String]

    /// Finds the files of a data set folder; a missing required file is an error naming it.
    public init(directory: String, model: String? = nil) throws(EmbeddingIOError) {
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
        let queryVectors = firstExisting(in: folder, ["queries.f32.npy", "queries.npy"])
        var queryIds: String?
        if queryVectors != nil {
            guard let ids = firstExisting(in: folder, ["query_ids.txt", "queries.jsonl"]) else {
                throw .missingFile(path: "\(folder)/query_ids.txt", what: "query ids (query_ids.txt or queries.jsonl)")
            }
            queryIds = ids
        }
        self.directory = folder
        self.name = name
        self.corpusVectors = corpusVectors
        self.corpusIds = corpusIds
        self.queryVectors = queryVectors
        self.queryIds = queryIds
        qrelsSearchPath = search
    }

    /// Every file a command may read from the folder: the vectors, the ids and each `qrels/*.tsv` on
    /// ``qrelsSearchPath``; what ``refuseOutputsOverwritingInputs(outputs:inputs:)`` protects.
    public var inputFiles: [String] {
        [corpusVectors, corpusIds] + [queryVectors, queryIds].compactMap { $0 }
            + qrelsSearchPath.flatMap { folder in
                listDirectory("\(folder)/qrels").filter { $0.hasSuffix(".tsv") }.map { "\(folder)/qrels/\($0)" }
            }
    }

    /// Loads and validates every file into memory.
    public func load() throws(EmbeddingIOError) -> Dataset {
        let corpus = try EmbeddingSet.load(vectors: corpusVectors, ids: corpusIds)
        var queries: EmbeddingSet?
        if let queryVectors, let queryIds {
            let loaded = try EmbeddingSet.load(vectors: queryVectors, ids: queryIds)
            guard loaded.dimension == corpus.dimension else {
                throw .dimensionMismatch(path: queryVectors, dimension: loaded.dimension,
                                         expectedPath: corpusVectors, expected: corpus.dimension)
            }
            queries = loaded
        }
        return Dataset(directory: directory, name: name, corpus: corpus, queries: queries, qrelsSearchPath: qrelsSearchPath)
    }

    /// The corpus vectors as a file read in blocks (rows validated as they are read), after checking that the
    /// id list has one id per row.
    public func openCorpus() throws(EmbeddingIOError) -> (vectors: NpyFile, ids: [String]) {
        try openVectors(corpusVectors, ids: corpusIds)
    }
}

/// Finds the judgements of a data set folder: `qrels/<split>.tsv` in the folders of ``qrelsSearchPath``.
public protocol QrelsLocating {
    /// The folder holding the vectors.
    var directory: String { get }
    /// Folders searched, in order, for `qrels/<split>.tsv`.
    var qrelsSearchPath: [String] { get }
}

extension QrelsLocating {
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

}

/// Opens a vector file for streaming, with its ids (nil: ids are not needed): the file must hold at least one
/// row of positive dimension, and the ids must be one per row.
public func openVectors(_ path: String, ids idsPath: String?) throws(EmbeddingIOError) -> (vectors: NpyFile, ids: [String]) {
    let file = try NpyFile(path: path)
    guard file.rowCount > 0 else { throw .emptyFile(path: path, expected: "at least one vector") }
    guard file.dimension > 0 else { throw .invalidNpy(path: path, problem: "vectors have dimension 0") }
    guard let idsPath else { return (file, []) }
    let ids = idsPath.hasSuffix(".jsonl") ? try readJSONLinesIds(idsPath) : try readIdList(idsPath)
    guard ids.count == file.rowCount else {
        throw .rowCountMismatch(vectorsPath: path, rows: file.rowCount, idsPath: idsPath, ids: ids.count)
    }
    return (file, ids)
}

private func firstExisting(in folder: String, _ names: [String]) -> String? {
    names.lazy.map { "\(folder)/\($0)" }.first(where: fileExists)
}

private func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
