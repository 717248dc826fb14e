import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ServerConfiguration {
    /// Refuses limits and timeouts that cannot work, before anything is read or bound.
    public func validate() throws(ServerConfigurationError) {
        func positive(_ value: Double, _ name: String) throws(ServerConfigurationError) {
            guard value > 0, value.isFinite else { throw .invalidLimit(name: name, problem: "must be a positive number, got \(value)") }
        }
        try positive(Double(maxBodyBytes), "--max-body-bytes")
        try positive(Double(maxInputs), "--max-inputs")
        try positive(Double(maxResponseValues), "--max-response-values")
        try positive(Double(maxResults), "--max-results")
        try positive(maxRequestFLOP, "--max-request-gflop")
        try positive(Double(concurrency), "--concurrency")
        try positive(Double(cachedSizes), "--cached-sizes")
        try positive(idleTimeout, "--idle-timeout")
        try positive(requestTimeout, "--request-timeout")
        try positive(drainTimeout, "--drain-timeout")
        try positive(Double(threads), "--threads")
        if let maxConnections { try positive(Double(maxConnections), "--max-connections") }
        guard queueLength >= 0 else { throw .invalidLimit(name: "--queue-length", problem: "must be 0 or more, got \(queueLength)") }
        if let bad = (shortlistDimensions + (shortlistDimension.map { [$0] } ?? [])).first(where: { $0 < 1 }) {
            throw .invalidLimit(name: "--shortlist-dimensions", problem: "sizes must be positive, got \(bad)")
        }
        if let upstream { try positive(upstream.timeout, "--upstream-timeout") }
    }

    /// The limits requests are held to.
    var limits: RequestLimits {
        RequestLimits(maxBodyBytes: maxBodyBytes, maxInputs: maxInputs, maxResponseValues: maxResponseValues,
                      maxResults: maxResults, maxRequestFLOP: maxRequestFLOP)
    }

    /// Open connections when none is configured: the process's file limit less 64 for the corpus, the upstream and the
    /// database (so that accepting never fails with "too many open files"), at most 1,024.
    public static func defaultMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        let files = limit.rlim_cur >= rlim_t(Int32.max) ? 1024 + 64 : Int(limit.rlim_cur)
        return max(1, min(1024, files - 64))
    }

    /// Whether `host` is a loopback address (only this machine can connect).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
