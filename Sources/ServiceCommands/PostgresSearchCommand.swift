import AdaptorCommands
import ArgumentParser
import Matryoshka
import VectorDatabase

/// `matryoshka search --postgres`: the run from PostgreSQL, each query embedded as the table's rows were (the
/// table's own ``/VectorDatabase/StoredEmbedding``: same model by fingerprint, same `m`), searched by the database.
@Sendable func postgresRunText(_ command: SearchCommand) async throws -> String {
    guard let postgres = command.database.postgres, let table = command.database.table else { return "" }
    let (url, tableName) = (try PostgresURL(postgres), try TableName(table))
    let queries = try command.loadQueries(dimension: nil)
    let prepared = try EmbeddingMethod(modelPath: command.adaptor).prepare(dimension: queries.dimension,
                                                                           dataName: queries.vectorsPath)
    let connected = try await VectorDatabase.connect(url, timeout: command.database.timeout)
    do {
        let layout = try await connected.layout(of: tableName)
        if let dimension = command.dimension, dimension != layout.dimension {
            throw VectorDatabaseError.layoutMismatch(table: tableName.description, problem:
                "stores \(layout.dimension)-d prefixes; --dimension \(dimension) cannot search it (leave it out).")
        }
        let stored = try StoredEmbedding(table: tableName, layout: layout, transform: prepared.transform,
                                         fingerprint: prepared.fingerprint, calibration: prepared.model?.calibration)
        let display = ProgressDisplay(quiet: command.quiet)
        let start = ContinuousClock.now
        let embedded: (prefixes: Matrix, full: Matrix?)
        do {
            embedded = try stored.embed(queries.vectors, full: command.shortlistSize != nil)
        } catch {
            throw SourcePipelineError(source: queries.vectorsPath, error: error)
        }
        let hits = try await VectorTableSearch(table: tableName, layout: layout).search(
            embedded, on: connected.connection,
            logger: connected.logger, k: command.k, shortlistSize: command.shortlistSize, efSearch: command.efSearch,
            probes: command.probes, deadline: command.database.timeout.map { (url.place, $0) }) { done, total in
                display.update(rateLine("searched in \(tableName)", done: done, total: total, unit: "queries", since: start))
            }
        display.finish()
        await connected.close()
        return hits.enumerated().map { q, found in
            found.enumerated().map { rank, hit in
                TRECRun.line(query: queries.ids[q], document: hit.id, rank: rank + 1, score: hit.score, run: command.runName)
            }.joined()
        }.joined()
    } catch {
        await connected.close()
        throw error
    }
}
