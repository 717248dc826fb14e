import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// Exact top-k search throughput at several prefix sizes, next to plain `sgemm` on the same products.
struct SearchBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Queries per second of exact cosine top-k search at each m, and the sgemm rate in the same run.",
        discussion: "Prints one JSON object per line, one per m. Vectors are prefix-cut and re-normalised before timing."
    )

    @Option(help: "Corpus vectors (.npy, N × d).") var docs: String
    @Option(help: "Query vectors (.npy, n × d).") var queries: String
    @Option(help: "Comma-separated prefix sizes.") var dims: String = "32,64,128,256,768"
    @Option(help: "Neighbours per query.") var k: Int = 10
    @Option(help: "Timed runs per measurement (the median is reported).") var runs: Int = 5
    @Option(help: "Queries per sgemm block.") var queryBlock: Int?
    @Option(help: "Documents per sgemm block.") var documentBlock: Int?
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.run(measure)
    }

    func measure() throws {
        let corpus = try readNpy(docs)
        let queryVectors = try readNpy(queries)
        for m in try parseDimensions(dims) {
            var index = FlatIndex(vectors: corpus, prefix: m)
            if let queryBlock { index.grid.queryBlock = queryBlock }
            if let documentBlock { index.grid.tileDocuments = documentBlock }
            let q = queryVectors.normalizedPrefix(columns: m)
            var checksum = 0
            let search = medianSeconds(runs: runs) { checksum &+= Int(index.search(q, k: k).indices[0]) }
            let gemm = medianSeconds(runs: runs) { blockedProduct(q, index) }
            let flops = 2.0 * Double(m) * Double(corpus.rows) * Double(q.rows)
            let row: [String: Any] = [
                "m": m, "threads": threadOptions.threads, "documents": corpus.rows, "queries": q.rows, "k": k,
                "search_seconds": search, "search_qps": Double(q.rows) / search,
                "search_gflops": flops / search / 1e9,
                "sgemm_seconds": gemm, "sgemm_gflops": flops / gemm / 1e9,
                "fraction_of_sgemm": gemm / search, "checksum": checksum,
            ]
            let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The same `Q · Dᵀ` products the search computes, in the same blocks, without top-k selection.
    func blockedProduct(_ q: Matrix, _ index: FlatIndex) {
        let d = index.dimension, n = index.count
        let qb = index.grid.queryBlock, db = index.grid.tileDocuments
        var block = [Float](repeating: 0, count: qb * db)
        q.storage.withUnsafeBufferPointer { qp in
            index.vectors.storage.withUnsafeBufferPointer { dp in
                block.withUnsafeMutableBufferPointer { bp in
                    for d0 in stride(from: 0, to: n, by: db) {
                        for q0 in stride(from: 0, to: q.rows, by: qb) {
                            BLAS.sgemm(transposeA: false, transposeB: true, m: min(qb, q.rows - q0), n: min(db, n - d0),
                                       k: d, a: qp.baseAddress! + q0 * d, lda: d, b: dp.baseAddress! + d0 * d, ldb: d,
                                       c: bp.baseAddress!, ldc: min(db, n - d0))
                        }
                    }
                }
            }
        }
    }
}
