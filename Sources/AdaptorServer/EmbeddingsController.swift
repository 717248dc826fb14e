import Hummingbird
import Matryoshka

/// `POST /v1/embeddings` (OpenAI's, with `dimensions`: texts or token arrays to the upstream, its vectors embedded)
/// and `POST /v1/adapt` (vectors in, embeddings out). Parsing, embedding and writing the answer run in the heavy-work
/// queue; only reading the body and calling the upstream stay on the request's own task.
struct EmbeddingsController<Context: RequestContext> {
    let state: APIState

    /// The fields each route accepts (anything else is a 400 naming it).
    static var embeddingsFields: Set<String> { ["input", "model", "encoding_format", "dimensions", "output_dtype", "user"] }
    static var adaptFields: Set<String> { ["input", "model", "encoding_format", "dimensions", "output_dtype"] }

    /// The routes, to add under `/v1`.
    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("embeddings") { request, _ in try await embeddings(request) }
        routes.post("adapt") { request, _ in try await adapt(request) }
        return routes
    }

    func embeddings(_ request: Request) async throws -> PreparedResponse {
        let data = try await state.body(request)
        let state = self.state
        let (input, format, m, dtype) = try await state.work.run(inline: data.count <= HeavyWork.inlineBytes) { () throws(APIError) in
            let parsed = try JSONRequest(data, allowed: Self.embeddingsFields)
            let input = try parsed.input(limit: state.limits.maxInputs)
            let format = try parsed.encodingFormat()
            let m = try parsed.integer("dimensions", in: 1 ... state.embedder.outputDimension)
            let dtype = try parsed.outputDType()
            _ = try parsed.string("model")
            _ = try parsed.string("user")
            // Refused before the upstream is paid for.
            _ = try state.embedder.calibration(for: dtype)
            return (input, format, m, dtype)
        }
        let (raw, usage) = try await state.embedUpstream(input)
        return try await state.work.run(inline: raw.rows * (m ?? raw.columns) <= HeavyWork.inlineBytes / 16) { () throws(APIError) in
            try state.embeddingList(raw, dimensions: m, dtype: dtype, format: format, usage: usage, status: .badGateway)
        }
    }

    func adapt(_ request: Request) async throws -> PreparedResponse {
        let data = try await state.body(request)
        let state = self.state
        return try await state.work.run { () throws(APIError) in
            let parsed = try JSONRequest(data, allowed: Self.adaptFields)
            let vectors = try parsed.vectors(dimension: state.embedder.inputDimension, limit: state.limits.maxInputs)
            let format = try parsed.encodingFormat()
            let m = try parsed.integer("dimensions", in: 1 ... state.embedder.outputDimension)
            let dtype = try parsed.outputDType()
            _ = try parsed.string("model")
            return try state.embeddingList(Matrix(vectors), dimensions: m, dtype: dtype, format: format,
                                           usage: Usage(promptTokens: 0, totalTokens: 0))
        }
    }
}
