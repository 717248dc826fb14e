import Foundation
import Hummingbird
import Logging
import Prometheus

/// The server's Prometheus metrics, in its own registry (rendered by `GET /metrics`):
/// `matryoshka_http_requests_total{route, method, status}`, `matryoshka_http_request_duration_seconds{route}`
/// (histogram), `matryoshka_upstream_request_duration_seconds` (histogram) and
/// `matryoshka_upstream_errors_total{code}`.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let upstreamDuration: DurationHistogram

    static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        upstreamDuration = registry.makeDurationHistogram(
            descriptor: .init(namespace: "matryoshka", metricName: "upstream_request_duration", unitName: "seconds",
                              helpText: "Time of successful upstream embedding calls."),
            labels: [], buckets: Self.buckets)
    }

    func requests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(descriptor: .init(namespace: "matryoshka", subsystem: "http", metricName: "requests",
                                               unitName: "total", helpText: "HTTP requests by route, method and status."),
                             labels: [("route", route), ("method", method), ("status", String(status))])
    }

    func duration(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "matryoshka", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                              helpText: "HTTP request latency by route."),
            labels: [("route", route)], buckets: Self.buckets)
    }

    func connectionsClosed(_ reason: String) -> Counter {
        registry.makeCounter(descriptor: .init(namespace: "matryoshka", subsystem: "http", metricName: "connections_closed",
                                               unitName: "total",
                                               helpText: "Connections the server closed: idle, slow_request or drain_timeout."),
                             labels: [("reason", reason)])
    }

    func upstreamErrors(_ code: String) -> Counter {
        registry.makeCounter(descriptor: .init(namespace: "matryoshka", metricName: "upstream_errors", unitName: "total",
                                               helpText: "Failed upstream embedding calls by error code."),
                             labels: [("code", code)])
    }
}

/// Counts and times every request, and logs one structured line per request to standard error.
struct RequestLogAndMetrics<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: Int
        let response: Response?
        var failure: (any Error)?
        do {
            response = try await next(request, context)
            status = Int(response!.status.code)
        } catch {
            response = nil
            failure = error
            status = Int((error as? any HTTPResponseError)?.status.code ?? 500)
        }
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.requests(route: route, method: request.method.rawValue, status: status).increment()
        metrics.duration(route: route).record(elapsed)
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
            "ms": "\(String(format: "%.2f", elapsed / .milliseconds(1)))",
        ]
        if let error = failure as? APIError { metadata["error"] = "\(error.code ?? error.type)" }
        logger.info("request", metadata: metadata)
        if let failure { throw failure }
        return response!
    }
}
