import Foundation

/// An upstream's base URL, checked at start: `http` or `https`, a host, no fragment. The endpoint is
/// `{scheme}://{host}{path}/embeddings?{query}` (a base URL's query, such as Azure's `?api-version=…`, is kept), and
/// ``redacted`` is what logs show: the password and every query value but `api-version` replaced by `***`.
public struct UpstreamURL: Sendable, CustomStringConvertible {
    /// Where embeddings are asked for.
    public let endpoint: URL
    /// The base URL with its secrets replaced by `***`, for logs.
    public let redacted: String

    /// Parses and checks `text`.
    public init(_ text: String) throws(ServerConfigurationError) {
        let hidden = Self.redact(text)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .invalidUpstream(redacted: hidden, problem: "it is not a URL (expected http://HOST[:PORT]/PATH)")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .invalidUpstream(redacted: hidden, problem: "its scheme is \(scheme); the upstream is called over http or https")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidUpstream(redacted: hidden, problem: "it names no host") }
        guard components.fragment == nil else { throw .invalidUpstream(redacted: hidden, problem: "it has a #fragment") }
        var endpoint = components
        endpoint.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + "/embeddings"
        guard let url = endpoint.url else { throw .invalidUpstream(redacted: hidden, problem: "it does not make a URL with /embeddings") }
        self.endpoint = url
        redacted = hidden
    }

    public var description: String { redacted }

    /// `text` with the userinfo's password and every query value except `api-version` replaced by `***`, whether or not
    /// the rest parses.
    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text) else {
            // Not a URL: hide anything that looks like credentials or a query.
            let noQuery = text.split(separator: "?", maxSplits: 1).first.map(String.init) ?? text
            return noQuery.replacingOccurrences(of: #"://[^/@]*@"#, with: "://***@", options: .regularExpression)
                + (noQuery.count < text.count ? "?***" : "")
        }
        if components.password != nil { components.password = "***" }
        components.queryItems = components.queryItems?.map { item in
            URLQueryItem(name: item.name, value: item.name == "api-version" || item.value == nil ? item.value : "***")
        }
        return (components.string ?? text).replacingOccurrences(of: "%2A%2A%2A", with: "***")
    }
}
