@testable import AdaptorServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Matryoshka
import PostgresNIO
import Testing
import VectorDatabase
import _TestSupport

/// `/v1/search` in PostgreSQL through a connection pool agrees with the same embeddings searched in memory
/// (`scripts/postgres run -- swift test --filter Postgres`, as scripts/test does; skipped without
/// MATRYOSHKA_POSTGRES_URL).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] != nil,
                "needs a PostgreSQL with pgvector: scripts/postgres run -- swift test --filter Postgres"))
struct PostgresServerTests {
    @Test func serveSearchesTheTableThroughAPool() async throws {
        let url = ProcessInfo.processInfo.environment["MATRYOSHKA_POSTGRES_URL"] ?? ""
        let dir = TemporaryDirectory()
        let modelPath = dir.file("m.safetensors")
        try Fixtures.smallModel().save(to: modelPath)
        let prepared = try EmbeddingMethod.model(path: modelPath).prepare(dimension: 6)
        let corpus = Fixtures.randomMatrix(rows: 60, columns: 6, seed: 31)
        let ids = (0 ..< 60).map { "d\($0)" }
        let database = try await VectorDatabase.connect(try PostgresURL(url))
        let form = try StoredEmbedding(transform: prepared.transform, fingerprint: prepared.fingerprint, dimension: 2,
                                       storeFull: true, type: .vector)
        _ = try await VectorLoader(table: try TableName("served_2"), ifExists: .replace).load(corpus, ids: ids, as: form,
                                                                                           into: database)
        await database.close()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let backend = try await PostgresSearch.open(url: url, table: "served_2", prepared: prepared, efSearch: nil, probes: nil, timeout: 60,
                                                    logger: logger)
        let state = APIState(embedder: Embedder(prepared.transform), upstream: nil, modelName: "m",
                             limits: RequestLimits(maxInputs: 8), work: HeavyWork(concurrency: 1, queueLength: 8),
                             metrics: ServerMetrics(), logger: logger)
        let served = buildRouter(state: state, backend: backend, apiKey: nil)
        let memory = buildRouter(state: state, backend: MemorySearch(
            ids: ids, index: try EmbeddingIndex(corpus: corpus, pipeline: prepared.pipeline()), shortlistDimensions: [2]), apiKey: nil)
        let query = Fixtures.randomMatrix(rows: 1, columns: 6, seed: 99)
        let body = #"{"vector": [[\#(query.storage.map { "\($0)" }.joined(separator: ","))]], "k": 5"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await backend.client.run() }
            func ids(_ router: Router<BasicRequestContext>, _ extra: String) async throws -> (Int, [String]) {
                try await Application(router: router).test(.router) { http in
                    try await http.execute(uri: "/v1/search", method: .post, body: ByteBuffer(string: body + extra + "}")) { response in
                        let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                        let hits = ((json?["data"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
                        return (Int(response.status.code), hits.compactMap { $0["id"] as? String })
                    }
                }
            }
            let exact = try await ids(served, "")
            // Exact at m = 2, by hand: cosine of the re-normalised 2-prefixes, through the same pipeline.
            let m2 = try prepared.pipeline(dimension: 2)
            let documents = m2(corpus), q = m2(query)
            let scores = (0 ..< 60).map { i in (0 ..< 2).reduce(Float(0)) { $0 + documents[i, $1] * q[0, $1] } }
            let expected = (0 ..< 60).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(5).map { "d\($0)" }
            #expect(exact.0 == 200 && exact.1 == Array(expected))
            let funnel = try await ids(served, #", "shortlist_size": 60"#)
            let reference = try await ids(memory, #", "shortlist_dimension": 2, "shortlist_size": 60"#)
            #expect(funnel.0 == 200 && funnel.1 == reference.1, "the funnel over every row is exact search on the full vectors")
            #expect(try await ids(served, #", "shortlist_dimension": 4"#).0 == 400)
            group.cancelAll()
        }
    }
}
