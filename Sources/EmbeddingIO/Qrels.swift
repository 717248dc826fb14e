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
        try parse(utf8: try readFileBytes(path), path: path)
    }

    /// ``read(_:)`` on text already in memory; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws(EmbeddingIOError) -> Qrels {
        try parse(utf8: Array(text.utf8), path: path)
    }

    /// ``read(_:)`` on a file's bytes already in memory (UTF-8; invalid sequences become U+FFFD in ids and
    /// messages); `path` names it in errors.
    public static func parse(utf8 bytes: [UInt8], path: String) throws(EmbeddingIOError) -> Qrels {
        var judgements: [String: [String: Int]] = [:]
        var order: [String] = []
        var sawLine = false
        // One pass over the UTF-8 bytes, fields found with memchr (not Characters: a tab followed by a combining
        // mark is still a separator).
        try forEachLine(of: bytes) { (number, line) throws(EmbeddingIOError) in
            defer { sawLine = true }
            let firstTab = line.index(of: 0x09, from: 0)
            let secondTab = line.index(of: 0x09, from: firstTab + 1)
            let fieldCount = firstTab == line.count ? 1 : secondTab == line.count ? 2
                : line.index(of: 0x09, from: secondTab + 1) == line.count ? 3 : 4
            let gradeRange = fieldCount == 3 ? secondTab + 1 ..< line.count : 0 ..< 0
            if !sawLine, fieldCount == 3, Int(line.string(gradeRange)) == nil { return }
            guard fieldCount == 3, firstTab > 0, secondTab > firstTab + 1 else {
                throw .malformedLine(path: path, line: number,
                                     expected: "three tab-separated fields: query-id, corpus-id, integer score",
                                     found: line.string(0 ..< line.count))
            }
            guard let grade = Int(line.string(line.trimmingSpaces(gradeRange))) else {
                throw .malformedLine(path: path, line: number, expected: "an integer score in the third field",
                                     found: line.string(gradeRange))
            }
            let query = line.string(0 ..< firstTab)
            if judgements[query] == nil { order.append(query) }
            judgements[query, default: [:]][line.string(firstTab + 1 ..< secondTab)] = grade
        }
        guard sawLine else { throw .emptyFile(path: path, expected: "a qrels TSV (query-id, corpus-id, score)") }
        guard !judgements.isEmpty else {
            throw .emptyFile(path: path, expected: "judgement lines after the header")
        }
        return Qrels(path: path, judgements: judgements, queryOrder: order)
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
