/// Relevance judgements in BEIR's qrels TSV form: `query-id<TAB>corpus-id<TAB>score`, one header line.
///
/// Scores are integer grades (0 = judged not relevant; higher is more relevant; negative grades are kept
/// and count as not relevant, as in trec_eval). Query order is the order of first appearance.
public struct Qrels: Equatable, Sendable {
    /// The file the judgements came from (for messages).
    public var path: String
    /// `judgements[queryId][documentId] = grade`.
    public var judgements: [String: [String: Int]]
    /// Query ids in order of first appearance.
    public var queryOrder: [String]

    /// Judgements built in memory (tests, subsets).
    public init(path: String = "<memory>", judgements: [String: [String: Int]], queryOrder: [String]? = nil) {
        self.path = path
        self.judgements = judgements
        self.queryOrder = queryOrder ?? judgements.keys.sorted()
    }

    /// Number of judgement rows.
    public var count: Int { judgements.values.reduce(0) { $0 + $1.count } }

    /// Reads a qrels TSV file.
    ///
    /// The first line is a header when its third field is not an integer (BEIR writes
    /// `query-id\tcorpus-id\tscore`). Every other line must have exactly three tab-separated fields
    /// with an integer third; a pair judged twice keeps the last grade.
    public static func read(_ path: String) throws(EmbeddingIOError) -> Qrels {
        try parse(try readTextFile(path), path: path)
    }

    /// ``read(_:)`` on text already in memory; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws(EmbeddingIOError) -> Qrels {
        let lines = numberedLines(text)
        guard !lines.isEmpty else { throw .emptyFile(path: path, expected: "a qrels TSV (query-id, corpus-id, score)") }
        var judgements: [String: [String: Int]] = [:]
        var order: [String] = []
        for (index, (number, line)) in lines.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if index == 0, fields.count == 3, Int(fields[2]) == nil { continue }
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw .malformedLine(path: path, line: number,
                                     expected: "three tab-separated fields: query-id, corpus-id, integer score",
                                     found: String(line))
            }
            guard let grade = Int(fields[2].trimmingCharacters(in: " ")) else {
                throw .malformedLine(path: path, line: number, expected: "an integer score in the third field",
                                     found: String(fields[2]))
            }
            let query = String(fields[0])
            if judgements[query] == nil { order.append(query) }
            judgements[query, default: [:]][String(fields[1])] = grade
        }
        guard !judgements.isEmpty else {
            throw .emptyFile(path: path, expected: "judgement lines after the header")
        }
        return Qrels(path: path, judgements: judgements, queryOrder: order)
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}

extension Qrels {
    /// The judgements as sorted `query\tdocument\tgrade` lines: equal judgements give equal text whatever
    /// the file's order (used for fingerprints).
    public var canonicalText: String {
        judgements.keys.sorted().flatMap { query in
            judgements[query]!.keys.sorted().map { "\(query)\t\($0)\t\(judgements[query]![$0]!)\n" }
        }.joined()
    }
}
