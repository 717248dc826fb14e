import Hummingbird
import Matryoshka

/// `POST /v1/search`: query texts (through the upstream) or raw query vectors, searched by the backend.
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

    func search(_ request: Request) async throws -> SearchResponse {
        let parsed = try await state.parse(request, allowed: Self.fields)
        guard let backend else {
            throw APIError(status: .notImplemented, message: "This server holds no corpus (--corpus, --data or --postgres); "
                           + "/v1/search needs one.", type: "invalid_request_error", code: "no_corpus")
        }
        let documents = backend.documentCount ?? Int.max
        let k = try parsed.integer("k", in: 1 ... min(1000, documents)) ?? min(10, documents)
        let parameters = SearchParameters(
            k: k, shortlistDimension: try parsed.integer("shortlist_dimension", in: 1 ... state.embedder.outputDimension),
            shortlistSize: try parsed.integer("shortlist_size", in: k ... min(documents, 100_000)))
        let raw: Matrix
        switch (parsed.has("input"), parsed.has("vector")) {
        case (true, false):
            guard state.upstream != nil else {
                throw APIError.invalid("This server has no upstream embedding service; search by 'vector'.", param: "input")
            }
            raw = try await state.embedUpstream(try parsed.texts(limit: state.maxInputs)).vectors
        case (false, true):
            raw = Matrix(try parsed.vectors("vector", dimension: state.embedder.inputDimension, limit: state.maxInputs))
        default:
            throw APIError.invalid("Give exactly one of 'input' (query texts) and 'vector' (raw query vectors).")
        }
        return try await backend.search(raw, parameters, model: state.modelName)
    }
}
