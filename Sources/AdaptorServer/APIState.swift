import Foundation
import Hummingbird
import Logging
import Matryoshka

/// The limits every request is held to (ServerConfiguration's, checked at start).
struct RequestLimits: Sendable {
    /// Largest request body (bytes): 413 beyond.
    var maxBodyBytes = 16 << 20
    /// Most inputs (texts, token arrays or vectors) per request.
    var maxInputs = 2048
    /// Most numbers in an embeddings answer (inputs × `dimensions`).
    var maxResponseValues = 1 << 21
    /// Most search results in an answer (queries × `k`).
    var maxResults = 100_000
    /// Most floating-point operations one search may take (queries × the documents' coordinates searched, × 2).
    var maxRequestFLOP = 2e11
}

/// What every `/v1/` route shares: the embedder, the upstream, the limits, the heavy-work queue, metrics and the logger.
struct APIState: Sendable {
    let embedder: Embedder
    let upstream: (any TextEmbedder)?
    let modelName: String
    let limits: RequestLimits
    let work: HeavyWork
    let metrics: ServerMetrics
    let logger: Logger

    /// The request body's bytes (413 past the size limit). Parsing them is heavy work for a large body, so the routes
    /// parse inside ``work``.
    func body(_ request: Request) async throws(APIError) -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: limits.maxBodyBytes))
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body is larger than \(limits.maxBodyBytes) bytes.",
                           type: "invalid_request_error", code: "request_too_large")
        }
    }

    /// Size-`m` embeddings of raw rows (call it inside ``work``); an answer over the size limit is refused before
    /// any work, and rows that cannot be embedded are an error with `status` (400 for a client's vectors, 502 for the
    /// upstream's).
    func embed(_ rows: Matrix, dimensions m: Int?, status: HTTPResponse.Status = .badRequest) throws(APIError) -> Matrix {
        try checkAnswerSize(rows: rows.rows, dimensions: m)
        return try embedder.embed(rows, dimensions: m, status: status)
    }

    /// A 400 when `rows` answers at size `m` would hold more numbers than one answer may.
    func checkAnswerSize(rows: Int, dimensions m: Int?) throws(APIError) {
        let width = m ?? embedder.outputDimension
        guard rows * width <= limits.maxResponseValues else {
            throw APIError.invalid("The answer would hold \(rows) × \(width) = \(rows * width) numbers; at most "
                                   + "\(limits.maxResponseValues) per request (fewer inputs, or a smaller 'dimensions').",
                                   param: "input", code: "response_too_large")
        }
    }

    /// The answer of `/v1/embeddings` and `/v1/adapt`: the size-`m` embeddings of raw rows, or their codes for an
    /// `output_dtype` other than float, as the list `format` asks.
    func embeddingList(_ rows: Matrix, dimensions m: Int?, dtype: OutputDType, format: EncodingFormat, usage: Usage,
                       status: HTTPResponse.Status = .badRequest) throws(APIError) -> PreparedResponse {
        if dtype == .float {
            let vectors = try embed(rows, dimensions: m, status: status)
            return PreparedResponse(text: EmbeddingList(vectors: vectors, format: format, model: modelName, usage: usage).text)
        }
        try checkAnswerSize(rows: rows.rows, dimensions: m)
        let codes = try embedder.codes(rows, dimensions: m, dtype: dtype, status: status)!
        return PreparedResponse(text: EmbeddingList(vectors: Matrix(rows: 0, columns: 0), format: format, model: modelName,
                                                    usage: usage, codes: (dtype, codes)).text)
    }

    /// Upstream vectors for `input` as a matrix, each checked as a client's would be (the adaptor's width, finite,
    /// not all zeros; a 502 when not); failures are counted and logged.
    func embedUpstream(_ input: EmbeddingInput) async throws(APIError) -> (vectors: Matrix, usage: Usage) {
        guard let upstream else {
            throw APIError(status: .notImplemented, message: "This server has no upstream embedding service (--upstream); "
                           + "send vectors instead.", type: "invalid_request_error", code: "no_upstream")
        }
        let start = ContinuousClock.now
        do throws(APIError) {
            let (vectors, usage) = try await upstream.embed(input)
            metrics.upstreamDuration.record(ContinuousClock.now - start)
            let d = embedder.inputDimension
            if let bad = vectors.firstIndex(where: { $0.count != d }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned a \(vectors[bad].count)-d "
                               + "vector; the adaptor takes \(d)-d vectors (is --upstream-model the model it was fitted on?).",
                               type: "upstream_error", code: "upstream_dimension")
            }
            if let bad = vectors.firstIndex(where: { $0.contains { !$0.isFinite } || $0.allSatisfy { $0 == 0 } }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned a vector (input \(bad)) "
                               + "that is not finite or is all zeros.", type: "upstream_error", code: "upstream_malformed")
            }
            return (Matrix(vectors), usage)
        } catch {
            metrics.upstreamErrors(error.code ?? "upstream_error").increment()
            logger.warning("upstream call failed", metadata: ["status": "\(error.status.code)", "code": "\(error.code ?? "")"])
            throw error
        }
    }
}
