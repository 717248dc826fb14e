import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection to PostgreSQL with pgvector, opened from a ``PostgresURL``, with errors turned into
/// ``VectorDatabaseError``s that name the place and never the password, and every call held to a deadline.
///
/// The connection runs over a TCP channel made here, not by PostgresNIO, for two reasons:
/// - Its write buffer never reports "not writable". PostgresNIO's COPY waits for writability through a promise that
///   it drops when the server's error arrives during that wait (postgres-nio 1.33: `setAndFireError` in state
///   `copyingData(.pendingBackpressureRelieve)`), so a COPY that failed with a large block in flight (a duplicate id
///   in a block of about 8 MB or more) waited for ever while the server waited in `ClientRead`. Without that wait
///   the error reaches the next write or the end of the COPY and ends it at once; what is buffered is bounded by
///   one COPY block, which ``VectorLoader`` holds in memory anyway.
/// - TCP keepalive is on, so a peer that vanishes from the network is noticed.
public struct VectorDatabase: Sendable {
    public let url: PostgresURL
    public let connection: PostgresConnection
    /// The logger PostgresNIO writes to.
    public let logger: Logger
    /// The longest a statement, a COPY block or the connection's start may take before the connection is closed and
    /// ``VectorDatabaseError/timedOut(what:place:seconds:)`` thrown (nil: no limit).
    public let timeout: Duration?

    /// The default of ``timeout``: 60 s.
    public static let defaultTimeout: Duration = .seconds(60)

    /// Connects (within `timeout`) and checks that pgvector is there (creating it when allowed).
    public static func connect(_ url: PostgresURL, timeout: Duration? = defaultTimeout,
                               logger: Logger = Logger(label: "matryoshka.postgres")) async throws -> VectorDatabase
    {
        let connection: PostgresConnection
        do {
            let connectTimeout = TimeAmount.nanoseconds(Int64(((timeout ?? .seconds(10)) / .nanoseconds(1)).rounded()))
            let channel = try await ClientBootstrap(group: PostgresConnection.defaultEventLoopGroup)
                .connectTimeout(connectTimeout)
                .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: Int(Int32.max) - 1, high: Int(Int32.max)))
                .connect(host: url.host, port: url.port).get()
            var configuration = try url.connectionConfiguration(over: channel)
            configuration.options.connectTimeout = connectTimeout
            connection = try await PostgresConnection.connect(on: channel.eventLoop, configuration: configuration, id: 1,
                                                              logger: logger)
        } catch {
            let state = VectorDatabaseError.sqlState(of: error)
            if state == "28P01" || state == "28000" {
                throw VectorDatabaseError.authentication(place: url.place, user: url.user, problem: VectorDatabaseError.text(of: error))
            }
            if state != nil { throw VectorDatabaseError.server(what: "connecting to \(url.place)", message: VectorDatabaseError.text(of: error), rolledBack: nil) }
            if (error as? PSQLError)?.code == .authMechanismRequiresPassword {
                throw VectorDatabaseError.authentication(place: url.place, user: url.user,
                                                         problem: "the server asks for a password and none was given")
            }
            throw VectorDatabaseError.unreachable(place: url.place, problem: VectorDatabaseError.text(of: error))
        }
        let database = VectorDatabase(url: url, connection: connection, logger: logger, timeout: timeout)
        do {
            try await database.ensureExtension()
        } catch {
            try? await connection.close()
            throw error
        }
        return database
    }

    /// Closes the connection.
    public func close() async {
        try? await connection.close()
    }

    /// Runs `sql`; failures become ``VectorDatabaseError/server(what:message:rolledBack:)``, and a statement that
    /// takes longer than ``timeout`` ``VectorDatabaseError/timedOut(what:place:seconds:)``.
    ///
    /// The rows are read within the deadline too: they come back as an array, not a stream.
    @discardableResult
    public func run(_ query: PostgresQuery, _ what: String, timeout: Duration?? = nil) async throws -> [PostgresRow] {
        try await within(what, timeout: timeout ?? self.timeout) {
            do {
                var rows: [PostgresRow] = []
                for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
                return rows
            } catch {
                throw VectorDatabaseError.server(what: what, message: VectorDatabaseError.text(of: error), rolledBack: nil)
            }
        }
    }

    /// Runs `body`; when it has not finished within `timeout` (default ``timeout``), closes the connection, which
    /// fails whatever waits on it, and throws ``VectorDatabaseError/timedOut(what:place:seconds:)``.
    public func within<T>(_ what: String, timeout: Duration?? = nil, _ body: () async throws -> T) async throws -> T {
        guard let limit = timeout ?? self.timeout else { return try await body() }
        return try await Self.within(what, place: url.place, timeout: limit, closing: connection, body)
    }

    /// Runs `body`, which uses `connection`; when it has not finished within `timeout`, closes `connection` (failing
    /// whatever waits on it) and throws ``VectorDatabaseError/timedOut(what:place:seconds:)`` naming `place`.
    public static func within<T>(_ what: String, place: String, timeout: Duration, closing connection: PostgresConnection,
                                 _ body: () async throws -> T) async throws -> T {
        let fired = Fired()
        let timer = Task {
            try await Task.sleep(for: timeout)
            fired.set()
            try? await connection.close()
        }
        defer { timer.cancel() }
        let timedOut = VectorDatabaseError.timedOut(what: what, place: place, seconds: timeout / .seconds(1))
        do {
            let value = try await body()
            if fired.value { throw timedOut }
            return value
        } catch {
            if fired.value { throw timedOut }
            throw error
        }
    }
}

/// A flag set once (by a timer, or when a connection is leased) and read by the task it guards.
public final class Fired: @unchecked Sendable {
    private let lock = NIOLock()
    private var fired = false

    public init() {}

    /// Sets the flag.
    public func set() { lock.withLock { fired = true } }
    /// Whether ``set()`` was called.
    public var value: Bool { lock.withLock { fired } }
}

