import Logging
import Matryoshka
import PostgresNIO
import VectorDatabase

/// The in-memory search corpus of a configuration, opened (not yet read): its vectors file and ids.
struct OpenedCorpus {
    let vectors: NpyFile
    let ids: [String]

    /// The corpus of `configuration` (nil without one, or with a table).
    init?(_ configuration: ServerConfiguration, logger: Logger) throws {
        switch configuration.corpus {
        case let .dataset(directory, model):
            let layout = try DatasetLayout(directory: directory, model: model)
            (vectors, ids) = try openVectors(layout.corpusVectors, ids: layout.corpusIds)
        case let .vectors(path, idsPath):
            let opened = try openVectors(path, ids: idsPath)
            vectors = opened.vectors
            ids = idsPath == nil ? (0 ..< opened.vectors.rowCount).map(String.init) : opened.ids
        case .postgres, nil:
            return nil
        }
    }

    var dimension: Int { vectors.dimension }
    var name: String { vectors.path }

    /// The corpus held as codes (``CodeSearch``), calibrated as every command calibrates them
    /// (``/Matryoshka/PreparedMethod/calibration(for:corpus:modelName:)``), streamed.
    func codeSearch(_ prepared: PreparedMethod, settings: CodeSearchSettings, logger: Logger) throws -> CodeSearch {
        let pipeline = try prepared.pipeline(dimension: settings.dimension)
        let calibration = try prepared.calibration(for: [settings.precision], corpus: vectors,
                                                   modelName: prepared.model == nil ? "truncation" : "the model")
        let start = ContinuousClock.now
        let index = try EmbeddingCodeIndex(corpus: vectors, pipeline: pipeline, precision: settings.precision,
                                           calibration: calibration, scoring: settings.scoring, rescore: settings.rescore)
        logger.info("encoded the search corpus", metadata: [
            "documents": "\(ids.count)", "precision": "\(settings.precision.rawValue)", "dimension": "\(pipeline.dimension)",
            "bytes_per_vector": "\(settings.precision.bytes(dimension: pipeline.dimension))",
            "seconds": "\((ContinuousClock.now - start) / .seconds(1))",
        ])
        return CodeSearch(ids: ids, index: index)
    }

    /// The corpus embedded at the transform's full size, streamed (only the embeddings are kept).
    func memorySearch(_ prepared: PreparedMethod, configuration: ServerConfiguration, logger: Logger) throws -> MemorySearch {
        let pipeline = try prepared.pipeline()
        let sizes = configuration.shortlistDimensions + (configuration.shortlistDimension.map { [$0] } ?? [])
        if let m = sizes.first(where: { !(1 ... pipeline.dimension).contains($0) }) {
            throw ServerConfigurationError.shortlistDimension(m, outputDimension: pipeline.dimension)
        }
        let start = ContinuousClock.now
        let index = try EmbeddingIndex(corpus: vectors, pipeline: pipeline)
        logger.info("embedded the search corpus", metadata: ["documents": "\(ids.count)",
                                                             "seconds": "\((ContinuousClock.now - start) / .seconds(1))"])
        return MemorySearch(ids: ids, index: index, shortlistDimensions: configuration.shortlistDimensions,
                            defaultShortlist: (configuration.shortlistDimension, configuration.shortlistSize))
    }
}

extension PostgresSearch {
    /// The backend for `table` at `url`: its layout read over one connection (closed again) and checked against
    /// the prepared method (same model by fingerprint); searches then go through a pool.
    static func open(url: String, table: String, prepared: PreparedMethod, efSearch: Int?, probes: Int?,
                     timeout: Double?, logger: Logger) async throws -> PostgresSearch {
        let url = try PostgresURL(url)
        let table = try TableName(table)
        let limit = timeout.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) }
        let connected = try await VectorDatabase.connect(url, timeout: limit)
        let layout: VectorTableLayout
        do {
            layout = try await connected.layout(of: table)
            await connected.close()
        } catch {
            await connected.close()
            throw error
        }
        let stored = try StoredEmbedding(table: table, layout: layout, transform: prepared.transform,
                                         fingerprint: prepared.fingerprint, calibration: prepared.model?.calibration)
        logger.info("searching in PostgreSQL", metadata: ["table": "\(table)", "at": "\(url)", "dimension": "\(layout.dimension)"])
        return PostgresSearch(client: PostgresClient(configuration: url.clientConfiguration()), stored: stored,
                              table: VectorTableSearch(table: table, layout: layout), efSearch: efSearch, probes: probes,
                              deadline: limit.map { (url.place, $0) }, logger: logger)
    }
}

/// A server configuration that cannot run.
public enum ServerConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A shortlist size is outside the served sizes.
    case shortlistDimension(Int, outputDimension: Int)
    /// The upstream's base URL cannot be called.
    case invalidUpstream(redacted: String, problem: String)
    /// The address cannot be listened on.
    case cannotListen(host: String, port: Int, problem: String)
    /// A limit that makes no sense.
    case invalidLimit(name: String, problem: String)

    public var description: String {
        switch self {
        case let .shortlistDimension(m, outputDimension):
            "the shortlist dimension \(m) must be in 1...\(outputDimension), the served sizes"
        case let .invalidUpstream(redacted, problem):
            "the upstream URL \(redacted) cannot be used: \(problem)"
        case let .cannotListen(host, port, problem):
            "cannot listen on \(host):\(port): \(problem)"
        case let .invalidLimit(name, problem):
            "\(name): \(problem)"
        }
    }
}
