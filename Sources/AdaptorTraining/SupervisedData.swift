import AdaptorNN
import EmbeddingMath
import RetrievalEvaluation
import VectorSearch

/// Training data for supervised stages, in one item space: rows `0 ..< N` are corpus documents, rows
/// `N ..< N + Q` the judged training queries (test queries are never part of it).
struct SupervisedData {
    /// `[corpus; queries]`, raw vectors, `(N + Q) × d`.
    let items: Matrix
    let corpusCount: Int
    /// Judgements of item queries: `judged[q].queryIndex` is `q`, grades refer to corpus rows.
    let judged: [JudgedQuery]
    /// `k` nearest corpus documents of every item (documents: self excluded), original vectors.
    let neighbours: [Int32]
    /// Hard negatives per query (most similar documents not judged relevant), possibly empty.
    let hardNegatives: [[Int]]
    /// Positions in `judged` used for training and for validation.
    let trainQueries: [Int]
    let validationQueries: [Int]

    init(corpus: Matrix, queries: Matrix, judgements: [JudgedQuery], k: Int, hardNegatives h: Int,
         validationFraction: Double, generator: inout SeededGenerator) {
        let queryVectors = queries.gatherRows(judgements.map(\.queryIndex))
        corpusCount = corpus.rows
        var storage = corpus.storage
        storage.append(contentsOf: queryVectors.storage)
        items = Matrix(rows: corpus.rows + queryVectors.rows, columns: corpus.columns, storage: storage)
        judged = judgements.enumerated().map { q, j in JudgedQuery(queryIndex: q, grades: j.grades, idealGrades: j.idealGrades) }
        var table = mineNeighbours(corpus: corpus, k: k)
        let index = FlatIndex(vectors: corpus)
        let queryNeighbours = index.search(queryVectors, k: max(k, h == 0 ? k : k + h + 16))
        for q in 0 ..< queryVectors.rows { table += queryNeighbours.neighbours(of: q).prefix(k).map(Int32.init) }
        neighbours = table
        hardNegatives = (0 ..< queryVectors.rows).map { q in
            h == 0 ? [] : Array(queryNeighbours.neighbours(of: q).filter { (judgements[q].grades[$0] ?? 0) <= 0 }.prefix(h))
        }
        let (train, validation) = splitForValidation(count: judgements.count, fraction: validationFraction, generator: &generator)
        trainQueries = train
        validationQueries = validation
    }

    /// The item row of query `q`.
    func itemRow(ofQuery q: Int) -> Int { corpusCount + q }

    /// Held-out queries retrieving from the whole corpus, mean nDCG@10 over `sizes`.
    func validation(sizes: MatryoshkaSizes) -> RetrievalValidation {
        RetrievalValidation(
            queryRows: validationQueries.map(itemRow(ofQuery:)), poolRows: Array(0 ..< corpusCount), sizes: sizes,
            judgements: validationQueries.enumerated().map { position, q in
                JudgedQuery(queryIndex: position, grades: judged[q].grades, idealGrades: judged[q].idealGrades)
            })
    }

    /// Candidate documents for a query batch: every judged document of the batch's queries, their hard
    /// negatives and `random` random documents; with the `queries × candidates` grade matrix.
    func candidates(for queries: [Int], random: Int, generator: inout SeededGenerator) -> (documents: [Int], grades: Matrix) {
        var documents: [Int] = []
        var seen = Set<Int>()
        func add(_ d: Int) { if seen.insert(d).inserted { documents.append(d) } }
        for q in queries {
            judged[q].grades.keys.sorted().forEach(add)
            hardNegatives[q].forEach(add)
        }
        for _ in 0 ..< random { add(Int(generator.next() % UInt64(corpusCount))) }
        var grades = Matrix(rows: queries.count, columns: documents.count)
        for (i, q) in queries.enumerated() {
            for (j, d) in documents.enumerated() { grades[i, j] = Float(judged[q].grades[d] ?? 0) }
        }
        return (documents, grades)
    }
}
