import Foundation
import NIOCore
import NIOSSL
import PostgresNIO

/// Where the database is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`
/// (`postgresql://` too). The password may also come from `PGPASSWORD`; it is never printed: `description`
/// shows `***` in its place.
public struct PostgresURL: Sendable, CustomStringConvertible, Equatable {
    /// How the connection uses TLS (libpq's `sslmode` names; `prefer` is libpq's default, `disable` ours, since
    /// most loopback servers have no certificate).
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Parses `text`; `environment` supplies `PGPASSWORD` when the URL has no password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(VectorDatabaseError) {
        func fail(_ problem: String) -> VectorDatabaseError {
            .invalidURL(redacted: Self.redact(text), problem: problem)
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw fail("expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw fail("no host") }
        guard let user = components.user, !user.isEmpty else { throw fail("no user name (postgres://USER@HOST/DATABASE)") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw fail("no database name after the host (…/DATABASE)") }
        self.host = host
        self.port = components.port ?? 5432
        guard (1 ... 65535).contains(port) else { throw fail("port \(port) is out of range") }
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        var mode = TLSMode.disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let known = TLSMode(rawValue: value) else {
                    throw fail("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = known
            case "application_name", "connect_timeout":
                continue
            default:
                throw fail("unknown parameter '\(item.name)' (known: sslmode)")
            }
        }
        self.tls = mode
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)" + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// `text` with every password in it replaced by `***`, for messages about URLs that do not parse: the part
    /// after `user:` before the last `@` whatever precedes it (`postgres://u:p@h`, `postgres:u:p@h`, `postgres//u:p@h`,
    /// `u:p@h/db`),
    /// and `password=` values in a query or a libpq keyword string (`?password=p`, `host=h password=p`).
    public static func redact(_ text: String) -> String {
        var result = text
        // password=VALUE in a query string or a keyword/value string, up to '&', whitespace or the end; quoted
        // keyword values ('…') to their closing quote.
        var searchFrom = result.startIndex
        while let key = result.range(of: "password=", options: .caseInsensitive, range: searchFrom ..< result.endIndex) {
            var end = key.upperBound
            if end < result.endIndex, result[end] == "'" {
                end = result[result.index(after: end)...].firstIndex(of: "'").map { result.index(after: $0) } ?? result.endIndex
            } else {
                end = result[end...].firstIndex(where: { $0 == "&" || $0 == " " || $0 == "\t" }) ?? result.endIndex
            }
            result.replaceSubrange(key.upperBound ..< end, with: "***")
            searchFrom = result.index(key.upperBound, offsetBy: 3)
        }
        // USER:PASSWORD@ before the host: the credentials run from after the scheme (with or without //) to the last '@'.
        guard let at = result.lastIndex(of: "@") else { return result }
        var credentialsStart = result.startIndex
        if let slashes = result.range(of: "//"), slashes.upperBound <= at {
            credentialsStart = slashes.upperBound
        } else if let scheme = ["postgresql:", "postgres:"].first(where: { result.lowercased().hasPrefix($0) }) {
            credentialsStart = result.index(result.startIndex, offsetBy: scheme.count)
        }
        guard let colon = result[credentialsStart ..< at].firstIndex(of: ":") else { return result }
        return String(result[..<colon]) + ":***" + String(result[at...])
    }

    /// "host:port/database", for messages.
    public var place: String { "\(host):\(port)/\(database)" }

    /// A single connection's configuration over `channel`, a TCP connection to ``host`` and ``port`` (see
    /// ``VectorDatabase`` for why the channel is made outside PostgresNIO); TLS, when asked, checks the certificate
    /// against ``host`` unless it is an IP address.
    public func connectionConfiguration(over channel: any Channel) throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: mode = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(establishedChannel: channel, tls: mode, username: user,
                                                             password: password, database: database)
        let isAddress = (try? SocketAddress(ipAddress: host, port: port)) != nil
        configuration.options.tlsServerName = isAddress ? nil : host
        return configuration
    }

    /// A pool's configuration (for the server).
    public func clientConfiguration() -> PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(.makeClientConfiguration())
        case .require: mode = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database,
                                            tls: mode)
    }
}
