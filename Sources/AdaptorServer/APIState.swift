import Foundation
import Hummingbird
import Logging
import Matryoshka

/// What every `/v1/` route shares: the embedder, the upstream, the limits, metrics and the logger.
struct APIState: Sendable {
    let embedder: Embedder
    let upstream: (any TextEmbedder)?
    let modelName: String
    let maxBodyBytes: Int
    let maxInputs: Int
    let metrics: ServerMetrics
    let logger: Logger

    /// The request body as a JSON object with only `allowed` keys (413 past the size limit, 400 when malformed).
    func parse(_ request: Request, allowed: Set<String>) async throws(APIError) -> JSONRequest {
        let data: Data
        do {
            data = Data(buffer: try await request.body.collect(upTo: maxBodyBytes))
        } catch {
            throw APIError(status: .contentTooLarge, message: "The request body is larger than \(maxBodyBytes) bytes.",
                           type: "invalid_request_error", code: "request_too_large")
        }
        return try JSONRequest(data, allowed: allowed)
    }

    /// Upstream vectors for `texts` as a matrix, checked against the transform's input dimension; failures are
    /// counted and logged.
    func embedUpstream(_ texts: [String]) async throws(APIError) -> (vectors: Matrix, usage: Usage) {
        guard let upstream else {
            throw APIError(status: .notImplemented, message: "This server has no upstream embedding service (--upstream); "
                           + "send vectors instead.", type: "invalid_request_error", code: "no_upstream")
        }
        let start = ContinuousClock.now
        do throws(APIError) {
            let (vectors, usage) = try await upstream.embed(texts)
            metrics.upstreamDuration.record(ContinuousClock.now - start)
            let d = embedder.inputDimension
            if let bad = vectors.firstIndex(where: { $0.count != d }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned a \(vectors[bad].count)-d "
                               + "vector; the adaptor takes \(d)-d vectors (is --upstream-model the model it was fitted on?).",
                               type: "upstream_error", code: "upstream_dimension")
            }
            if vectors.contains(where: { $0.contains { !$0.isFinite } }) {
                throw APIError(status: .badGateway, message: "The upstream embedding service returned non-finite values.",
                               type: "upstream_error", code: "upstream_malformed")
            }
            return (Matrix(vectors), usage)
        } catch {
            metrics.upstreamErrors(error.code ?? "upstream_error").increment()
            logger.warning("upstream call failed", metadata: ["status": "\(error.status.code)", "code": "\(error.code ?? "")"])
            throw error
        }
    }
}
