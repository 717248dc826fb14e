import AdaptorCommands
import AdaptorServer
import ArgumentParser
import Foundation
import Matryoshka

/// What the server's response bodies cost to write: the typed `Codable` search response against the untyped
/// `JSONSerialization` dictionary it replaced, and the hand-written embeddings list against `JSONEncoder`.
struct ResponseBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "responses",
        abstract: "Seconds to encode /v1/search and /v1/embeddings bodies, typed (Codable) against the alternatives.",
        discussion: "Prints one JSON object per body and encoder: median seconds over --runs, bytes, and MB/s."
    )

    @Option(help: "Queries in the search body.") var queries = 2048
    @Option(help: "Hits per query in the search body.") var k = 100
    @Option(help: "Embeddings in the embeddings body.") var rows = 2048
    @Option(help: "Coordinates per embedding.") var dimension = 384
    @Option(help: "Timed runs per encoder (median reported).") var runs = 7

    /// The `/v1/embeddings` body as `JSONEncoder` would write it.
    struct CodableEmbeddingList: Encodable {
        struct Item: Encodable {
            var object = "embedding"
            var index: Int
            var embedding: [Float]
        }

        var object = "list"
        var data: [Item]
        var model: String
    }

    func run() throws {
        var generator = SeededGenerator(seed: 1)
        let search = SearchResponse(
            data: (0 ..< queries).map { q in
                SearchResponse.Result(index: q, results: (0 ..< k).map { j in
                    SearchResponse.Hit(id: "doc\(q * k + j)", score: generator.nextUnitFloat())
                })
            },
            model: "bench", k: k)
        let untyped: [String: Any] = [
            "object": "list", "model": "bench", "k": k,
            "data": search.data.map { result in
                ["object": "search_result", "index": result.index,
                 "results": result.results.map { ["id": $0.id, "score": Double($0.score)] as [String: Any] }] as [String: Any]
            },
        ]
        var bytes = 0
        report("search", "codable", medianSeconds(runs: runs) { bytes = (try? search.jsonData().count) ?? 0 }, bytes)
        report("search", "jsonserialization", medianSeconds(runs: runs) {
            bytes = (try? JSONSerialization.data(withJSONObject: untyped, options: [.sortedKeys]).count) ?? 0
        }, bytes)
        let vectors = Matrix(rows: rows, columns: dimension, storage: (0 ..< rows * dimension).map { _ in generator.nextUnitFloat() })
        let list = EmbeddingList(vectors: vectors, format: .float, model: "bench", usage: Usage(promptTokens: 0, totalTokens: 0))
        report("embeddings", "hand-written", medianSeconds(runs: runs) { bytes = list.text.utf8.count }, bytes)
        let codable = CodableEmbeddingList(data: (0 ..< rows).map { .init(index: $0, embedding: vectors.row($0)) }, model: "bench")
        report("embeddings", "codable", medianSeconds(runs: runs) { bytes = (try? JSONEncoder().encode(codable).count) ?? 0 }, bytes)
    }

    func report(_ body: String, _ encoder: String, _ seconds: Double, _ bytes: Int) {
        let row: [String: Any] = ["body": body, "encoder": encoder, "seconds": seconds, "bytes": bytes,
                                  "megabytes_per_second": Double(bytes) / seconds / 1e6]
        let data = (try? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
    }
}
