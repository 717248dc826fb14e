import AdaptorNN
import EmbeddingMath
import RetrievalEvaluation
import VectorSearch

/// An unsupervised retrieval signal for model selection: held-out documents act as queries against a pool
/// of training documents, and each one's relevant set is its own top-`k` pool neighbours under the
/// **original full** vectors. The score is nDCG@10 of retrieving that set at each size `m` of `M`, averaged
/// over `M`: how well the prefixes reproduce full-dimension rankings (1 = perfectly).
///
/// METHOD.md asks for settings to be selected on a retrieval signal rather than on the loss alone; a
/// corpus-only user has no queries, and this is the signal their own documents give.
struct NeighbourFidelity {
    let validation: RetrievalValidation

    /// - Parameters:
    ///   - normalisedCorpus: original vectors, L2-normalised (`N × d`).
    ///   - heldOut: corpus rows used as queries (never training anchors).
    ///   - pool: corpus rows searched (training documents).
    ///   - k: relevant neighbours per query.
    init(normalisedCorpus: Matrix, heldOut: [Int], pool: [Int], sizes: MatryoshkaSizes, k: Int = 10) {
        let queries = normalisedCorpus.gatherRows(heldOut)
        let poolVectors = normalisedCorpus.gatherRows(pool)
        var neighbours: [[Int]] = []
        if poolVectors.rows > k {
            // Exact top-k, the float32 shortlist re-ranked in double precision as evaluation does.
            let shortlist = FlatIndex(vectors: poolVectors).search(queries, k: k + 16)
                .refinedInDoublePrecision(queries: queries, corpus: poolVectors, prefix: poolVectors.columns, k: k)
            neighbours = (0 ..< queries.rows).map { shortlist.neighbours(of: $0) }
        }
        validation = RetrievalValidation(
            queryRows: heldOut, poolRows: pool, sizes: sizes,
            judgements: neighbours.enumerated().map { q, relevant in
                JudgedQuery(queryIndex: q, grades: Dictionary(uniqueKeysWithValues: relevant.map { ($0, 1) }))
            })
    }
}

/// Mean nDCG@10 over the sizes `M` of some queries retrieving from a pool, both given as rows of an item
/// matrix whose MLP inputs a closure supplies; `JudgedQuery.queryIndex` counts within `queryRows` and
/// grades refer to positions within `poolRows`.
struct RetrievalValidation {
    let queryRows: [Int]
    let poolRows: [Int]
    let sizes: MatryoshkaSizes
    let evaluator: RetrievalEvaluator

    init(queryRows: [Int], poolRows: [Int], sizes: MatryoshkaSizes, judgements: [JudgedQuery]) {
        self.queryRows = queryRows
        self.poolRows = poolRows
        self.sizes = sizes
        evaluator = RetrievalEvaluator(judgements: judgements)
    }

    /// Mean over `M` of nDCG@10 with the adaptor's outputs for the given MLP inputs, their coordinates
    /// taken in `order` when one is given (a selected-coordinates-first permutation).
    func score(_ adaptor: MatryoshkaAdaptor, order: [Int]? = nil, inputs: ([Int]) -> Matrix) -> Double {
        let values = scores(adaptor, order: order, inputs: inputs)
        return values.reduce(0, +) / Double(max(values.count, 1))
    }

    /// nDCG@10 at each size of `M`, in order (empty without judgements).
    func scores(_ adaptor: MatryoshkaAdaptor, order: [Int]? = nil, inputs: ([Int]) -> Matrix) -> [Double] {
        guard !evaluator.judgements.isEmpty else { return [] }
        var queries = adaptor.forward(rotated: inputs(queryRows)).output
        var pool = adaptor.forward(rotated: inputs(poolRows)).output
        if let order {
            queries = queries.columns(order)
            pool = pool.columns(order)
        }
        return evaluator.evaluate(queries: queries, corpus: pool, dimensions: sizes.sizes).map(\.ndcg)
    }
}
