import ArgumentParser

/// `--postgres URL --table T`: a pgvector table (parsed and used by matryoshka-services).
public struct PostgresOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        PostgreSQL with pgvector: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require] (the password \
        may instead come from PGPASSWORD; it is never printed).
        """, valueName: "URL"))
    public var postgres: String?

    @Option(help: ArgumentHelp("The table (name or schema.name).", valueName: "T"))
    public var table: String?

    @Option(help: ArgumentHelp("""
        With --postgres: seconds the database may take to connect, to run one statement or to take one COPY block \
        (serve: to lend a connection or run one statement) before the connection is closed with an error (default: \
        60, serve 10; 0: no limit; an index build has none).
        """, valueName: "SECONDS"))
    public var databaseTimeout: Double?

    /// `--database-timeout` in seconds, or `fallback` when not given; nil for 0 (no limit).
    public func timeoutSeconds(default fallback: Double = 60) -> Double? {
        let seconds = databaseTimeout ?? fallback
        return seconds > 0 ? seconds : nil
    }

    /// `--database-timeout` as a duration (default 60 s; nil for 0: no limit).
    public var timeout: Duration? { timeoutSeconds().map { .milliseconds(Int64(($0 * 1000).rounded())) } }

    public init() {}

    public func validate() throws {
        if let databaseTimeout, !(databaseTimeout >= 0 && databaseTimeout.isFinite) {
            throw ValidationError("--database-timeout must be 0 (no limit) or a positive number of seconds")
        }
        if postgres == nil, table != nil { throw ValidationError("--table needs --postgres URL") }
        if postgres != nil, table == nil { throw ValidationError("--postgres needs --table T") }
    }
}
