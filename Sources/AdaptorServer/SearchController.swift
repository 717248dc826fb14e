import Hummingbird
import Matryoshka

/// `POST /v1/search`: query texts (through the upstream) or raw query vectors, searched by the backend. Parsing,
/// searching in memory and writing the answer run in the heavy-work queue.
struct SearchController<Context: RequestContext> {
    let state: APIState
    /// The corpus searched (nil: the route answers 501).
    let backend: (any SearchBackend)?

    /// The fields the route accepts.
    static var fields: Set<String> { ["input", "vector", "k", "shortlist_dimension", "shortlist_size", "model"] }

    /// The route, to add under `/v1`.
    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("search") { request, _ in try await search(request) }
        return routes
    }

    /// What a search request asks, parsed: its parameters, and its queries as vectors or as inputs for the upstream.
    enum Queries: Sendable {
        case vectors(Matrix)
        case input(EmbeddingInput)
    }

    func search(_ request: Request) async throws -> PreparedResponse {
        let data = try await state.body(request)
        guard let backend else {
            throw APIError(status: .notImplemented, message: "This server holds no corpus (--corpus, --data or --postgres); "
                           + "/v1/search needs one.", type: "invalid_request_error", code: "no_corpus")
        }
        let state = self.state
        let documents = backend.documentCount ?? Int.max
        let (parameters, queries) = try await state.work.run(inline: data.count <= HeavyWork.inlineBytes) { () throws(APIError) in
            let parsed = try JSONRequest(data, allowed: Self.fields)
            let limits = state.limits
            let k = try parsed.integer("k", in: 1 ... min(1000, documents)) ?? min(10, documents)
            let parameters = SearchParameters(
                k: k, shortlistDimension: try parsed.integer("shortlist_dimension", in: 1 ... state.embedder.outputDimension),
                shortlistSize: try parsed.integer("shortlist_size", in: k ... min(documents, 100_000)))
            let queries: Queries
            switch (parsed.has("input"), parsed.has("vector")) {
            case (true, false):
                guard state.upstream != nil else {
                    throw APIError.invalid("This server has no upstream embedding service; search by 'vector'.", param: "input")
                }
                queries = .input(try parsed.input(limit: limits.maxInputs))
            case (false, true):
                queries = .vectors(Matrix(try parsed.vectors("vector", dimension: state.embedder.inputDimension,
                                                             limit: limits.maxInputs)))
            default:
                throw APIError.invalid("Give exactly one of 'input' (query texts) and 'vector' (raw query vectors).")
            }
            let count = switch queries {
            case let .vectors(vectors): vectors.rows
            case let .input(input): input.count
            }
            try Self.checkResults(queries: count, k: k, limit: limits.maxResults)
            return (parameters, queries)
        }
        let raw: Matrix = switch queries {
        case let .vectors(vectors): vectors
        case let .input(input): try await state.embedUpstream(input).vectors
        }
        let answer = try await backend.search(raw, parameters,
                                              in: SearchContext(work: state.work, limits: state.limits, model: state.modelName))
        let results = answer.data.reduce(0) { $0 + $1.results.count }
        return try await state.work.run(inline: results <= HeavyWork.inlineBytes / 64) { () throws(APIError) in try PreparedResponse(answer) }
    }

    /// Refuses an answer of more than `limit` results (queries × `k`) before any work is done.
    static func checkResults(queries: Int, k: Int, limit: Int) throws(APIError) {
        guard queries * k <= limit else {
            throw APIError.invalid("The answer would hold \(queries) × \(k) = \(queries * k) results; at most \(limit) per "
                                   + "request (fewer queries, or a smaller 'k').", param: "k", code: "response_too_large")
        }
    }
}
