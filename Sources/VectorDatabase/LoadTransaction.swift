import EmbeddingMath
import Logging
import NIOCore
import PostgresNIO

/// One load's transaction state, in the order begin → append* → finish, or abort at any point.
final class LoadTransaction {
    let database: VectorDatabase
    let table: TableName
    let layout: VectorTableLayout
    let ifExists: IfExists
    let index: VectorIndexKind
    let commitEvery: Int?
    /// Whether `--if-exists replace` may drop a table that no load made.
    let force: Bool
    private var inTransaction = false
    private var rowsInTransaction = 0
    private var createdTable = false
    /// Rows committed so far.
    private(set) var committedRows = 0

    init(database: VectorDatabase, table: TableName, layout: VectorTableLayout, ifExists: IfExists,
         index: VectorIndexKind, commitEvery: Int?, force: Bool = false) {
        self.database = database
        self.table = table
        self.layout = layout
        self.ifExists = ifExists
        self.index = index
        self.commitEvery = commitEvery
        self.force = force
    }

    /// Checks the table against `ifExists` and the layout, then opens the transaction (and makes the table).
    func begin() async throws {
        let (exists, found) = try await database.describe(table)
        if exists {
            switch ifExists {
            case .fail:
                throw VectorDatabaseError.tableExists(table: table.description, madeByLoad: found != nil)
            case .append:
                guard let found else {
                    throw VectorDatabaseError.layoutMismatch(
                        table: table.description, problem: "was not made by matryoshka load (its comment records no model "
                            + "and size); append only to tables it made.")
                }
                if let problem = found.mismatch(with: layout) {
                    throw VectorDatabaseError.layoutMismatch(table: table.description, problem: problem)
                }
            case .replace:
                guard found != nil || force else { throw VectorDatabaseError.notALoadTable(table: table.description) }
            }
        }
        try await execute("BEGIN", "starting the transaction")
        inTransaction = true
        if exists, ifExists == .replace {
            try await execute("DROP TABLE \(table.quoted)", "dropping the old \(table)")
        }
        if !exists || ifExists == .replace {
            try await execute("CREATE TABLE \(table.quoted) (\(layout.columns))", "creating \(table)")
            try await execute("COMMENT ON TABLE \(table.quoted) IS \(Self.literal(layout.comment))", "recording the layout")
            createdTable = true
        }
    }

    /// The first input row a resumed load should send: the table's row count, after checking that the table holds
    /// exactly `ids[0 ..< count]` at its edges (the last of them present, the next one absent).
    func resumeRow(ids: [String]) async throws -> Int {
        let counted = try await database.run("SELECT count(*) FROM \(unescaped: table.quoted)", "counting rows")
        let count = try counted.first?.decode(Int.self) ?? 0
        guard count <= ids.count else {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "holds \(count) rows, more than the input's \(ids.count); it is not a prefix of this input.")
        }
        func present(_ id: String) async throws -> Bool {
            try await !database.run("SELECT 1 FROM \(unescaped: table.quoted) WHERE id = \(id)", "checking ids").isEmpty
        }
        if count > 0, try await !present(ids[count - 1]) {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "holds \(count) rows but not input row \(count - 1) (id '\(ids[count - 1])'): it is not a prefix of this input, so --resume cannot continue it.")
        }
        if count < ids.count, try await present(ids[count]) {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "already holds input row \(count) (id '\(ids[count])') beyond its first \(count) rows: it is not a prefix of this input.")
        }
        return count
    }

    /// Sends rows `ids` with their prefixes (`n × m`) and full vectors (`n × D`, when the layout stores them) in
    /// one binary COPY; commits when `commitEvery` rows have gathered.
    func append(ids: ArraySlice<String>, prefixes: Matrix, full: Matrix?) async throws {
        precondition(prefixes.rows == ids.count && prefixes.columns == layout.dimension, "Prefix block shape")
        precondition(full.map { $0.rows == ids.count && $0.columns == layout.fullDimension } ?? (layout.fullDimension == nil))
        if !inTransaction {
            try await execute("BEGIN", "starting the transaction")
            inTransaction = true
        }
        let columns = layout.fullDimension == nil ? "id, embedding" : "id, embedding, \"full\""
        let type = layout.type
        // PostgresNIO's copyFrom names the format in the statement it writes (text only, as of 1.33) but sends our
        // bytes as they are; the statement is completed here so that the server reads them as binary. The table
        // name is a validated identifier (TableName), so nothing from outside reaches the SQL.
        let statement = String(table.quoted.dropFirst()) + " (\(columns)) FROM STDIN WITH (FORMAT binary) --"
        do {
            try await database.within("copying rows into \(table)") {
                try await database.connection.copyFrom(table: statement, logger: database.logger) { writer in
                    let widths = [layout.dimension] + (layout.fullDimension.map { [$0] } ?? [])
                    let perRow = BinaryCopy.rowBytes(idBytes: 16, widths: widths, type: type)
                    let chunkRows = max(1, (1 << 20) / perRow)
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(min(ids.count, chunkRows) * perRow + 64)
                    buffer.writeBytes(BinaryCopy.header)
                    let matrices = [prefixes] + (full.map { [$0] } ?? [])
                    var row = 0
                    while row < ids.count {
                        let end = min(row + chunkRows, ids.count)
                        BinaryCopy.appendRows(ids: ids.dropFirst(row).prefix(end - row), matrices: matrices, rows: row ..< end,
                                              type: type, to: &buffer)
                        row = end
                        if row < ids.count {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    buffer.writeBytes(BinaryCopy.trailer)
                    try await writer.write(buffer)
                }
            }
        } catch let error as VectorDatabaseError {
            throw error
        } catch {
            throw VectorDatabaseError.server(what: "copying rows into \(table)", message: VectorDatabaseError.text(of: error),
                                             rolledBack: nil)
        }
        rowsInTransaction += ids.count
        if let commitEvery, rowsInTransaction >= commitEvery {
            try await execute("COMMIT", "committing")
            inTransaction = false
            committedRows += rowsInTransaction
            rowsInTransaction = 0
        }
    }

    /// Builds the index (when the table was made by this load) and commits.
    func finish(rows: Int) async throws {
        if !inTransaction {
            try await execute("BEGIN", "starting the transaction")
            inTransaction = true
        }
        if createdTable, index != .none {
            // No deadline: an index over millions of rows takes as long as it takes.
            try await database.run(PostgresQuery(unsafeSQL: indexStatement(rows: rows)),
                                   "building the \(index.rawValue) index on \(table)", timeout: .some(nil))
        }
        try await execute("COMMIT", "committing")
        inTransaction = false
        committedRows += rowsInTransaction
        rowsInTransaction = 0
    }

    /// Rolls back the open transaction (nothing of it stays) and says what the table holds now.
    func abort() async -> TableState {
        guard inTransaction || committedRows > 0 else { return .untouched }
        if inTransaction {
            _ = try? await database.run("ROLLBACK", "rolling back")
            inTransaction = false
        }
        return committedRows == 0 ? .rolledBack(table: table.description)
            : .committedPrefix(table: table.description, rows: committedRows)
    }

    /// `CREATE INDEX … USING hnsw|ivfflat (embedding <type>_ip_ops)` (`bit_hamming_ops` for `bit`); ivfflat gets `lists = max(1, rows / 1000)`
    /// (pgvector's advice up to a million rows, `√rows` beyond).
    func indexStatement(rows: Int) -> String {
        let opclass = layout.type.operatorClass
        switch index {
        case .hnsw:
            return "CREATE INDEX ON \(table.quoted) USING hnsw (embedding \(opclass))"
        case .ivfflat:
            let lists = rows <= 1_000_000 ? max(1, rows / 1000) : Int(Double(rows).squareRoot())
            return "CREATE INDEX ON \(table.quoted) USING ivfflat (embedding \(opclass)) WITH (lists = \(lists))"
        case .none:
            return ""
        }
    }

    func execute(_ sql: String, _ what: String) async throws {
        try await database.run(PostgresQuery(unsafeSQL: sql), what)
    }

    /// A SQL string literal: `'…'` with quotes doubled.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
