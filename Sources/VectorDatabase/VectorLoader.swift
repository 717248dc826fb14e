import EmbeddingMath

/// What to do when the table exists already.
public enum IfExists: String, Sendable, CaseIterable {
    /// Stop with an error (the default).
    case fail
    /// Drop it and load afresh, in the load's transaction: readers see the old table until the new one commits.
    case replace
    /// Add rows to it; its layout (model, m, type, full) must match.
    case append
}

/// The index built on `embedding` after the rows are in.
public enum VectorIndexKind: String, Sendable, CaseIterable {
    case none, hnsw, ivfflat
}

/// What a table holds after a failed load.
public enum TableState: Sendable, Equatable, CustomStringConvertible {
    /// The load failed before changing anything.
    case untouched
    /// The load's open transaction was rolled back: the table is as it was before.
    case rolledBack(table: String)
    /// A `commitEvery` load committed its first `rows` input rows before it failed.
    case committedPrefix(table: String, rows: Int)

    public var description: String {
        switch self {
        case .untouched: "Nothing was changed."
        case let .rolledBack(table): "Nothing was written: \(table) is as it was before the load."
        case let .committedPrefix(table, rows):
            "The first \(rows) input rows are committed in \(table); run the same load again appending, with resume on "
                + "(--if-exists append --resume), to load the rest."
        }
    }
}

/// A load that failed, and what the table holds now.
public struct LoadFailure: Error, CustomStringConvertible {
    /// Why it failed.
    public let cause: any Error
    /// What the table holds.
    public let state: TableState

    public var description: String {
        let text = "\(cause)"
        return text + (text.hasSuffix(".") ? " " : ". ") + "\(state)"
    }
}

/// What a finished load did.
public struct LoadReport: Sendable, Equatable {
    /// Input rows in all.
    public var rows: Int
    /// Input rows skipped because a resumed load found them in the table already.
    public var resumedAfter: Int
    /// Wall time, seconds.
    public var seconds: Double
}

/// Bulk-loads embeddings into a pgvector table with binary `COPY … FROM STDIN`: the one road from raw vectors (a
/// ``/EmbeddingMath/RowSource``) through a ``StoredEmbedding`` into the table.
///
/// One transaction holds the whole load by default (`commitEvery == nil`): a failure at any row leaves the table
/// as it was. With `commitEvery = R` a transaction is committed after every block that brings its row count to at
/// least `R`; a failed load then keeps its committed prefix of the input (``TableState/committedPrefix(table:rows:)``)
/// and a load with `resume` continues after it. Block `i + 1` is read and embedded while block `i` streams to the
/// server.
public struct VectorLoader: Sendable {
    /// The table.
    public let table: TableName
    /// What to do when it exists.
    public let ifExists: IfExists
    /// The index built on `embedding` after the rows are in.
    public let index: VectorIndexKind
    /// Rows per transaction (nil: one transaction).
    public let commitEvery: Int?
    /// Rows embedded and sent per COPY block.
    public let blockRows: Int
    /// Whether ``IfExists/replace`` may drop a table that no load made (its comment records no layout); without it,
    /// such a table is refused (``VectorDatabaseError/notALoadTable(table:)``), so a mistyped name destroys nothing.
    public let force: Bool

    /// A loader into `table`.
    public init(table: TableName, ifExists: IfExists = .fail, index: VectorIndexKind = .none, commitEvery: Int? = nil,
                blockRows: Int = 8192, force: Bool = false) {
        precondition(blockRows > 0 && (commitEvery ?? 1) > 0, "Blocks and transactions need positive sizes")
        self.table = table
        self.ifExists = ifExists
        self.index = index
        self.commitEvery = commitEvery
        self.blockRows = blockRows
        self.force = force
    }

    /// Loads every row of `source` with its id (`ids[i]` for row `i`) as `form` stores it; with `resume`, first
    /// checks that the table holds exactly a prefix of this input and continues after it.
    ///
    /// - Parameters:
    ///   - source: the raw vectors, `N × d`, read block by block.
    ///   - ids: one id per row.
    ///   - form: how rows are embedded and stored (its layout is recorded in the table's comment).
    ///   - database: an open connection.
    ///   - resume: continue a `commitEvery` load that failed, after the prefix the table holds.
    ///   - progress: rows sent and rows to send.
    /// - Throws: ``VectorDatabaseError`` (a server failure says what the table holds now), or ``LoadFailure`` for
    ///   another failure (a bad input row) after the table was touched.
    public func load(_ source: any RowSource, ids: [String], as form: StoredEmbedding, into database: VectorDatabase,
                     resume: Bool = false, progress: ((Int, Int) -> Void)? = nil) async throws -> LoadReport {
        precondition(ids.count == source.rowCount, "One id per row")
        let transaction = LoadTransaction(database: database, table: table, layout: form.layout, ifExists: ifExists,
                                          index: index, commitEvery: commitEvery, force: force)
        let start = ContinuousClock.now
        let rows = source.rowCount, blockRows = self.blockRows
        var first = 0
        do {
            try await transaction.begin()
            first = resume ? try await transaction.resumeRow(ids: ids) : 0
            let source = UncheckedSendable(source)
            func prepare(_ start: Int) -> Task<(range: Range<Int>, prefixes: Matrix, full: Matrix?), any Error>? {
                guard start < rows else { return nil }
                return Task {
                    let range = start ..< min(start + blockRows, rows)
                    let block = try source.value.block(range)
                    do {
                        let (prefixes, full) = try form.embed(block, firstRow: range.lowerBound)
                        return (range, prefixes, full)
                    } catch let error as PipelineError {
                        throw SourcePipelineError(source: source.value.sourceName, error: error)
                    }
                }
            }
            var next = prepare(first)
            while let pending = next {
                let block = try await pending.value
                next = prepare(block.range.upperBound)
                do {
                    try await transaction.append(ids: ids[block.range], prefixes: block.prefixes, full: block.full)
                } catch {
                    next?.cancel()
                    throw error
                }
                progress?(block.range.upperBound - first, rows - first)
            }
            try await transaction.finish(rows: rows)
        } catch {
            let state = await transaction.abort()
            guard state != .untouched else { throw error }
            if case let failure as VectorDatabaseError = error, case .server(let what, let message, nil) = failure {
                throw VectorDatabaseError.server(what: what, message: message, rolledBack: state.description)
            }
            throw LoadFailure(cause: error, state: state)
        }
        return LoadReport(rows: rows, resumedAfter: first, seconds: (ContinuousClock.now - start) / .seconds(1))
    }
}
