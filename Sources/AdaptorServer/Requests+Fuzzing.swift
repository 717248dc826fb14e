import Foundation
import Hummingbird

/// The request-body fuzzer's entry point (`Fuzz/`, `matryoshka-fuzz-request`).
public enum RequestFuzzing {
    /// Parses `body` as each route would (`/v1/embeddings`, `/v1/adapt` with 8-d vectors, `/v1/search`), keeping
    /// nothing: a malformed body must end in an ``APIError``, never a crash.
    @_spi(Fuzzing) public static func parseAsEveryRoute(_ body: Data) {
        typealias Embeddings = EmbeddingsController<BasicRequestContext>
        if let request = try? JSONRequest(body, allowed: Embeddings.embeddingsFields) {
            _ = try? request.texts(limit: 2048)
            _ = try? request.encodingFormat()
            _ = try? request.integer("dimensions", in: 1 ... 384)
            _ = try? request.string("model")
            _ = try? request.string("user")
        }
        if let request = try? JSONRequest(body, allowed: Embeddings.adaptFields) {
            _ = try? request.vectors(dimension: 8, limit: 2048)
        }
        if let request = try? JSONRequest(body, allowed: SearchController<BasicRequestContext>.fields) {
            _ = try? request.integer("k", in: 1 ... 1000)
            _ = try? request.integer("shortlist_size", in: 10 ... 100_000)
            _ = try? request.vectors("vector", dimension: 8, limit: 2048)
            _ = try? request.texts(limit: 2048)
        }
    }
}
