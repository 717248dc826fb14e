import EmbeddingMath
import Foundation

/// What `evaluate` prints: the setting and one row of metrics per dimension, as a table or JSON.
public struct EvaluationReport: Encodable, Sendable {
    /// One size's metrics: the judged ones when there are judgements, neighbour-recall@10 when it was measured.
    public struct Row: Encodable, Sendable {
        /// nDCG@10, Recall@100 and MRR@10 with standard errors, when judged.
        public var judged: ComparisonReport.Row?
        /// neighbour-recall@10, when measured.
        public var neighbourRecall: NeighbourRecallResult?

        /// A row of either or both.
        public init(judged: ComparisonReport.Row?, neighbourRecall: NeighbourRecallResult?) {
            precondition(judged != nil || neighbourRecall != nil, "A row holds judged metrics, neighbour recall or both")
            self.judged = judged
            self.neighbourRecall = neighbourRecall
        }

        /// The size `m`.
        public var dimension: Int { judged?.dimension ?? neighbourRecall!.dimension }

        enum CodingKeys: String, CodingKey {
            case dimension, neighbourRecall = "neighbour-recall@10", neighbourRecallStandardError = "neighbour-recall@10_stderr"
        }

        /// One flat object: the judged row's keys, then the label-free ones.
        public func encode(to encoder: any Encoder) throws {
            try judged?.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(dimension, forKey: .dimension)
            if let neighbourRecall {
                try container.encode(neighbourRecall.mean, forKey: .neighbourRecall)
                try container.encode(neighbourRecall.standardError, forKey: .neighbourRecallStandardError)
            }
        }
    }

    /// The data set's name (or the corpus file).
    public var data: String
    /// The data set's folder (empty for a corpus file).
    public var directory: String
    /// The judgements' split, when judged.
    public var split: String?
    /// The method's name.
    public var method: String
    /// Judged queries scored, when judged.
    public var judgedQueries: Int?
    /// Queries of neighbour-recall@10 (0 when not measured).
    public var neighbourQueries: Int
    /// Corpus documents `N`.
    public var documents: Int
    /// The vectors' dimension `d`.
    public var inputDimension: Int
    /// With adaptive retrieval: the shortlist's prefix size and length (each row's size is the re-ranking one).
    public var shortlistDimension: Int? = nil
    /// The shortlist length `K`.
    public var shortlistSize: Int? = nil
    /// The geometry of neighbour-recall@10's reference (`original` or `centred`) when it was measured.
    public var neighbourReference: String? = nil
    /// The corpus's mean cosine between documents, when the reference's geometry needed it.
    public var meanCosine: Double? = nil
    /// With codes: the full vectors' nDCG@10 (the input, float32 at `d`), the reference of ``fewestBytes``.
    public var fullNDCG: Double? = nil
    /// With codes and a share to keep: the cheapest point keeping it.
    public var fewestBytes: FewestBytes? = nil
    /// One row per size (with codes: per size and precision).
    public var results: [Row]

    /// A report from its parts.
    public init(data: String, directory: String, split: String?, method: String, judgedQueries: Int?, neighbourQueries: Int,
                documents: Int, inputDimension: Int, shortlistDimension: Int? = nil, shortlistSize: Int? = nil,
                neighbourReference: String? = nil, meanCosine: Double? = nil, fullNDCG: Double? = nil,
                fewestBytes: FewestBytes? = nil, results: [Row]) {
        self.data = data
        self.directory = directory
        self.split = split
        self.method = method
        self.judgedQueries = judgedQueries
        self.neighbourQueries = neighbourQueries
        self.documents = documents
        self.inputDimension = inputDimension
        self.shortlistDimension = shortlistDimension
        self.shortlistSize = shortlistSize
        self.neighbourReference = neighbourReference
        self.meanCosine = meanCosine
        self.fullNDCG = fullNDCG
        self.fewestBytes = fewestBytes
        self.results = results
    }

    enum CodingKeys: String, CodingKey {
        case data, directory, split, method, results, neighbourQueries = "neighbour_queries"
        case neighbourReference = "neighbour_reference", meanCosine = "mean_cosine"
        case shortlistDimension = "shortlist_dimension", shortlistSize = "shortlist_size"
        case judgedQueries = "judged_queries", documents, inputDimension = "input_dimension"
        case fullNDCG = "full_ndcg@10", fewestBytes = "fewest_bytes"
    }

    /// The JSON form: fractions in [0, 1], keys `dimension`, `ndcg@10`, `recall@100`, `mrr@10`,
    /// `neighbour-recall@10`, and the standard errors of the means as `ndcg@10_stderr` and so on.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A fixed-width table of values ×100.
    public func table() -> String {
        let judged = results.first?.judged != nil, labelFree = results.first?.neighbourRecall != nil
        var setting = [data, "\(documents) documents", "d = \(inputDimension)", method]
        if let split, let judgedQueries { setting.insert("\(split) split · \(judgedQueries) judged queries", at: 1) }
        if labelFree {
            setting.append("neighbour-recall@10 over \(neighbourQueries) sampled queries"
                           + (neighbourReference == "centred" ? " (centred reference)" : ""))
        }
        if let rescore = results.first?.judged?.rescore {
            setting.append("the best \(rescore) by the codes re-scored with the full vectors "
                           + "(\(4 * inputDimension) bytes per vector on disk)")
        }
        if let shortlistDimension, let shortlistSize {
            setting.append("funnel: top \(shortlistSize) at m' = \(shortlistDimension), re-ranked at m")
        }
        let codes = results.contains { $0.judged?.precision != nil }
        var header = pad("m", 6)
        if codes { header += pad("precision", 10) + pad("bytes", 7) + " " }
        if judged { header += pad("nDCG@10", 10) + pad("±", 7) + pad("Recall@100", 12) + pad("MRR@10", 9) }
        if labelFree { header += pad("NbrRecall@10", 14) + pad("±", 7) }
        var lines = [setting.joined(separator: " · "),
                     "values ×100; ± is the standard error of the mean across queries", header]
        for r in results {
            var line = pad("\(r.dimension)", 6)
            if codes, let j = r.judged {
                line += pad(j.precision?.rawValue ?? "float32", 10) + pad("\(j.bytesPerVector ?? 4 * r.dimension)", 7)
                    + (j.dominated == true ? "·" : " ")
            }
            if let j = r.judged {
                line += pad(percent(j.ndcg), 10) + pad(percent(j.ndcgStandardError), 7) + pad(percent(j.recall), 12)
                    + pad(percent(j.mrr), 9)
            }
            if let n = r.neighbourRecall { line += pad(percent(n.mean), 14) + pad(percent(n.standardError), 7) }
            lines.append(line)
        }
        if codes { lines.append("· dominated: another point costs no more bytes and scores at least as well") }
        if let fullNDCG { lines.append("full vectors (float32, m = \(inputDimension), \(4 * inputDimension) bytes): nDCG@10 \(percent(fullNDCG))") }
        if let f = fewestBytes {
            lines.append("fewest bytes keeping \(String(format: "%g", f.share * 100)) % of it: \(f.bytesPerVector) "
                         + "(m = \(f.dimension), \(f.precision.rawValue)), nDCG@10 \(percent(f.ndcg))")
        }
        return lines.joined(separator: "\n")
    }
}

/// The cheapest scored point that keeps a share of the full vectors' nDCG@10 (``BytesFrontier/cheapest(_:keeping:of:)``).
public struct FewestBytes: Encodable, Sendable, Equatable {
    /// The share asked, in (0, 1].
    public var share: Double
    /// The full vectors' nDCG@10.
    public var fullNDCG: Double
    /// The point's size `m`.
    public var dimension: Int
    /// The point's precision.
    public var precision: Precision
    /// Its bytes per vector in memory.
    public var bytesPerVector: Int
    /// Its nDCG@10.
    public var ndcg: Double

    /// The point from its parts.
    public init(share: Double, fullNDCG: Double, dimension: Int, precision: Precision, bytesPerVector: Int, ndcg: Double) {
        self.share = share
        self.fullNDCG = fullNDCG
        self.dimension = dimension
        self.precision = precision
        self.bytesPerVector = bytesPerVector
        self.ndcg = ndcg
    }

    enum CodingKeys: String, CodingKey {
        case share, fullNDCG = "full_ndcg@10", dimension, precision, bytesPerVector = "bytes_per_vector", ndcg = "ndcg@10"
    }
}

/// `value × 100` with two decimals.
func percent(_ value: Double) -> String {
    String(format: "%.2f", value * 100)
}

/// Right-aligns `text` in `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}
