import EmbeddingMath

/// A comparison of methods at every Matryoshka size on one data set: the content of `matryoshka report`,
/// rendered as a self-contained HTML page or as JSON.
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// One query's metrics (for paired comparisons and significance tests).
    public struct QueryRow: Codable, Sendable, Equatable {
        /// The query's id.
        public var query: String
        /// nDCG@10.
        public var ndcg: Double
        /// Recall@100.
        public var recall: Double
        /// Reciprocal rank at 10.
        public var mrr: Double

        enum CodingKeys: String, CodingKey {
            case query, ndcg = "ndcg@10", recall = "recall@100", mrr = "mrr@10"
        }
    }

    /// Mean metrics at one size, with standard errors across queries.
    public struct Row: Codable, Sendable, Equatable {
        /// The size `m`.
        public var dimension: Int
        /// Mean nDCG@10 over judged queries, and its standard error.
        public var ndcg: Double
        public var ndcgStandardError: Double
        /// Mean Recall@100, and its standard error.
        public var recall: Double
        public var recallStandardError: Double
        /// Mean reciprocal rank at 10, and its standard error.
        public var mrr: Double
        public var mrrStandardError: Double
        /// Per-query values, when asked for.
        public var perQuery: [QueryRow]?
        /// The label-free neighbour-recall@10 (``NeighbourRecallEvaluator``), when measured, and its standard error.
        public var neighbourRecall: Double?
        public var neighbourRecallStandardError: Double?
        /// The codes' precision when the row scores codes (nil: the float vectors, as every row before codes).
        public var precision: Precision?
        /// Bytes per vector held in memory at this size and precision (``/EmbeddingMath/Precision/bytes(dimension:)``).
        public var bytesPerVector: Int?
        /// How many of the codes' best were re-scored with the full vectors (nil: none).
        public var rescore: Int?
        /// With codes: whether another scored point costs no more bytes and scores at least as well
        /// (``BytesFrontier/dominated(_:)``).
        public var dominated: Bool?

        /// The row of an evaluator result; with `queryIds` (one per judged query, in order) it keeps per-query values.
        public init(_ result: DimensionResult, queryIds: [String]? = nil) {
            dimension = result.dimension
            ndcg = result.ndcg
            ndcgStandardError = result.standardError(\.ndcg)
            recall = result.recall
            recallStandardError = result.standardError(\.recall)
            mrr = result.mrr
            mrrStandardError = result.standardError(\.reciprocalRank)
            perQuery = queryIds.map { ids in
                zip(ids, result.perQuery).map { QueryRow(query: $0, ndcg: $1.ndcg, recall: $1.recall, mrr: $1.reciprocalRank) }
            }
        }

        enum CodingKeys: String, CodingKey {
            case dimension, ndcg = "ndcg@10", ndcgStandardError = "ndcg@10_stderr", recall = "recall@100"
            case recallStandardError = "recall@100_stderr", mrr = "mrr@10", mrrStandardError = "mrr@10_stderr"
            case perQuery = "per_query", neighbourRecall = "neighbour-recall@10"
            case neighbourRecallStandardError = "neighbour-recall@10_stderr"
            case precision, bytesPerVector = "bytes_per_vector", rescore, dominated
        }
    }

    /// One method's results and where they came from.
    public struct Method: Codable, Sendable, Equatable {
        /// Display name.
        public var name: String
        /// `truncate`, `pca`, `adaptor`, `search-adaptor`, …
        public var kind: String
        /// The model file, for trained methods.
        public var modelPath: String?
        /// Settings that produced it (model metadata: method, training JSON, data fingerprint), or empty.
        public var settings: [String: String]
        /// One row per size, in increasing order.
        public var rows: [Row]
        /// With codes (`report --precision`): one row per (size, precision), each with its precision, bytes per
        /// vector, re-scoring and whether a point of any method in the report dominates it; nil without codes.
        public var codeRows: [Row]?

        /// A method's results.
        public init(name: String, kind: String, modelPath: String? = nil, settings: [String: String] = [:], rows: [Row],
                    codeRows: [Row]? = nil) {
            self.name = name
            self.kind = kind
            self.modelPath = modelPath
            self.settings = settings
            self.rows = rows
            self.codeRows = codeRows
        }

        enum CodingKeys: String, CodingKey {
            case name, kind, modelPath = "model_path", settings, rows = "results", codeRows = "codes"
        }
    }

    /// Storage and exact-search cost of one vector at one size.
    public struct Cost: Codable, Sendable, Equatable {
        /// The size `m`.
        public var dimension: Int
        /// Bytes of one float32 vector of this size.
        public var bytesPerVector: Int
        /// Measured exact top-10 cosine search over this data set's corpus, queries per second.
        public var queriesPerSecond: Double

        /// A cost row.
        public init(dimension: Int, bytesPerVector: Int, queriesPerSecond: Double) {
            self.dimension = dimension
            self.bytesPerVector = bytesPerVector
            self.queriesPerSecond = queriesPerSecond
        }

        enum CodingKeys: String, CodingKey {
            case dimension, bytesPerVector = "bytes_per_vector", queriesPerSecond = "queries_per_second"
        }
    }

    /// The data set's display name.
    public var data: String
    /// Its folder.
    public var directory: String
    /// The judgements scored.
    public var split: String
    /// Judged queries scored.
    public var judgedQueries: Int
    /// Corpus size.
    public var documents: Int
    /// The vectors' full dimension.
    public var dimension: Int
    /// SHA-256 fingerprints of corpus vectors, query vectors and judgements.
    public var fingerprints: [String: String]
    /// The library that produced the report.
    public var libraryVersion: String
    /// nDCG@10 of the original full vectors: the bar for "lossless".
    public var referenceNDCG: Double
    /// The methods compared, in display order.
    public var methods: [Method]
    /// Cost per size.
    public var costs: [Cost]

    /// A report from its parts.
    public init(data: String, directory: String, split: String, judgedQueries: Int, documents: Int, dimension: Int,
                fingerprints: [String: String], libraryVersion: String, referenceNDCG: Double, methods: [Method],
                costs: [Cost]) {
        self.referenceNDCG = referenceNDCG
        self.data = data
        self.directory = directory
        self.split = split
        self.judgedQueries = judgedQueries
        self.documents = documents
        self.dimension = dimension
        self.fingerprints = fingerprints
        self.libraryVersion = libraryVersion
        self.methods = methods
        self.costs = costs
    }

    enum CodingKeys: String, CodingKey {
        case data, directory, split, judgedQueries = "judged_queries", documents, dimension, fingerprints
        case libraryVersion = "library_version", methods, costs, referenceNDCG = "reference_ndcg@10"
    }

    /// The smallest size at which `method` reaches the original full-dimension nDCG@10 ("lossless").
    public func smallestLosslessDimension(_ method: Method) -> Int? {
        method.rows.first { $0.ndcg >= referenceNDCG - 1e-12 }?.dimension
    }
}
