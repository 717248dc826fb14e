import AsyncHTTPClient
import ServiceLifecycle

/// The upstream's HTTP client as a service of the application: it lives until graceful shutdown (after the HTTP
/// server has stopped taking requests), then shuts down.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
