import Hummingbird
import Matryoshka

/// `POST /v1/embeddings` (OpenAI's, with `dimensions`: texts to the upstream, its vectors embedded) and
/// `POST /v1/adapt` (vectors in, embeddings out).
struct EmbeddingsController<Context: RequestContext> {
    let state: APIState

    /// The fields each route accepts (anything else is a 400 naming it).
    static var embeddingsFields: Set<String> { ["input", "model", "encoding_format", "dimensions", "user"] }
    static var adaptFields: Set<String> { ["input", "model", "encoding_format", "dimensions"] }

    /// The routes, to add under `/v1`.
    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("embeddings") { request, _ in try await embeddings(request) }
        routes.post("adapt") { request, _ in try await adapt(request) }
        return routes
    }

    func embeddings(_ request: Request) async throws -> EmbeddingList {
        let parsed = try await state.parse(request, allowed: Self.embeddingsFields)
        let texts = try parsed.texts(limit: state.maxInputs)
        let format = try parsed.encodingFormat()
        let m = try parsed.integer("dimensions", in: 1 ... state.embedder.outputDimension)
        _ = try parsed.string("model")
        _ = try parsed.string("user")
        let (raw, usage) = try await state.embedUpstream(texts)
        return EmbeddingList(vectors: try state.embedder.embed(raw, dimensions: m), format: format, model: state.modelName,
                             usage: usage)
    }

    func adapt(_ request: Request) async throws -> EmbeddingList {
        let parsed = try await state.parse(request, allowed: Self.adaptFields)
        let vectors = try parsed.vectors(dimension: state.embedder.inputDimension, limit: state.maxInputs)
        let format = try parsed.encodingFormat()
        let m = try parsed.integer("dimensions", in: 1 ... state.embedder.outputDimension)
        _ = try parsed.string("model")
        return EmbeddingList(vectors: try state.embedder.embed(Matrix(vectors), dimensions: m), format: format,
                             model: state.modelName, usage: Usage(promptTokens: 0, totalTokens: 0))
    }
}
