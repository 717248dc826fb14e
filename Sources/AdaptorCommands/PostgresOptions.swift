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

    public init() {}

    public func validate() throws {
        if postgres == nil, table != nil { throw ValidationError("--table needs --postgres URL") }
        if postgres != nil, table == nil { throw ValidationError("--postgres needs --table T") }
    }
}
