import EmbeddingIO

/// One query's relevance judgements, resolved to corpus row indices.
///
/// `grades` holds the judged documents that exist in the corpus; `idealGrades` holds the positive
/// grades of **all** judged documents, including any the corpus lacks, because trec_eval computes the
/// ideal DCG and the number of relevant documents from the qrels alone.
public struct JudgedQuery: Sendable, Equatable {
    /// The query's row in the query matrix.
    public var queryIndex: Int
    /// Corpus row index → grade, for judged documents present in the corpus (grades may be 0 or negative).
    public var grades: [Int: Int]
    /// Positive grades of every judged document, sorted descending.
    public var idealGrades: [Int]

    /// Number of relevant (grade > 0) documents.
    public var relevantCount: Int { idealGrades.count }

    /// A query's judgements; `idealGrades` defaults to the positive grades among `grades`.
    public init(queryIndex: Int, grades: [Int: Int], idealGrades: [Int]? = nil) {
        self.queryIndex = queryIndex
        self.grades = grades
        self.idealGrades = (idealGrades ?? Array(grades.values)).filter { $0 > 0 }.sorted(by: >)
    }
}

/// Judgements matched against the ids of a query set and a corpus, with what could not be matched.
public struct ResolvedJudgements: Sendable {
    /// Judged queries that exist in the query set, in qrels order.
    public var queries: [JudgedQuery]
    /// Query ids in the qrels that the query set lacks (these queries cannot be evaluated).
    public var unknownQueryIds: [String]
    /// Judgement rows naming a document the corpus lacks (kept in the ideal DCG, as trec_eval does).
    public var unknownDocumentRows: Int

    /// Resolves `qrels` against `queryIds` and `corpusIds`.
    public init(qrels: Qrels, queryIds: [String], corpusIds: [String]) {
        var queryRow: [String: Int] = [:]
        for (i, id) in queryIds.enumerated() { queryRow[id] = i }
        var corpusRow: [String: Int] = [:]
        for (i, id) in corpusIds.enumerated() { corpusRow[id] = i }
        var queries: [JudgedQuery] = []
        var unknownQueries: [String] = []
        var unknownDocuments = 0
        for queryId in qrels.queryOrder {
            let judged = qrels.judgements[queryId] ?? [:]
            guard let row = queryRow[queryId] else {
                unknownQueries.append(queryId)
                continue
            }
            var grades: [Int: Int] = [:]
            for (documentId, grade) in judged {
                if let index = corpusRow[documentId] { grades[index] = grade } else { unknownDocuments += 1 }
            }
            queries.append(JudgedQuery(queryIndex: row, grades: grades, idealGrades: Array(judged.values)))
        }
        self.queries = queries
        unknownQueryIds = unknownQueries
        unknownDocumentRows = unknownDocuments
    }

    /// A one-line warning about unmatched ids, or nil when everything matched.
    public func warning(qrelsPath: String) -> String? {
        var parts: [String] = []
        if !unknownQueryIds.isEmpty {
            let sample = unknownQueryIds.prefix(3).joined(separator: ", ")
            parts.append("\(unknownQueryIds.count) judged queries are not in the query set (e.g. \(sample)) and are skipped")
        }
        if unknownDocumentRows > 0 {
            parts.append("\(unknownDocumentRows) judgement rows name documents not in the corpus "
                + "(they still count as relevant documents, as in trec_eval)")
        }
        return parts.isEmpty ? nil : "warning: \(qrelsPath): " + parts.joined(separator: "; ")
    }
}
