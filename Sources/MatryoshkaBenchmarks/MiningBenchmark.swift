import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// Neighbour mining alone: a sample of corpus rows mined against the whole corpus, streamed from the file.
struct MiningBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Seconds to mine k neighbours of sampled anchors against a whole corpus file (exact or on a shortlist).",
        discussion: "Prints one JSON object: seconds, documents per second, GFLOP/s of the scoring, and the shortlist's recall."
    )

    @Option(help: "Corpus vectors (.npy, N × d).") var corpus: String
    @Option(help: "Anchors (the first rows of a seeded shuffle).") var anchors: Int = 21_000
    @Option(help: "Shortlist prefix m' on the principal axes (omit: exact).") var miningDimension: Int?
    @Option(help: "Neighbours per anchor.") var k: Int = 10
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.run(measure)
    }

    func measure() throws {
        let file = try NpyFile(path: corpus)
        var generator = SeededGenerator(seed: 1)
        let rows = Array(Array(0 ..< file.rowCount).shuffled(using: &generator).prefix(anchors))
        let queries = try file.gather(rows).normalizedRows()
        var projection: Matrix?
        if let m = miningDimension {
            // The principal axes of a 100,000-row prefix are enough to time the shortlist.
            let sample = try file.block(0 ..< min(file.rowCount, 100_000)).normalizedRows()
            let axes = try CovarianceAccumulator(rows: sample).principalAxes()
            projection = Matrix(rows: m, columns: file.dimension, storage: axes.vectors[0 ..< m * file.dimension].map(Float.init))
        }
        var miner = NeighbourMiner(queries: queries, corpusRows: rows, k: k, projection: projection)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try file.forEachBlock(rows: CorpusSample.blockRows) { first, block in
                miner.add(normalizedDocuments: block.normalizedRows(), firstIndex: first)
            }
        } / .seconds(1)
        let row: [String: Any] = [
            "threads": threadOptions.threads, "documents": file.rowCount, "anchors": rows.count, "seconds": elapsed,
            "documents_per_second": Double(file.rowCount) / elapsed,
            "gflops": miner.flopsPerDocument * Double(file.rowCount) / elapsed / 1e9,
            "mining_dimension": miningDimension ?? file.dimension, "recall": miner.recall() ?? 1,
        ]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// The reference rate: `sgemm` on a given shape, tiled and run on the workers exactly as the library runs it.
struct SgemmBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sgemm",
        abstract: "GFLOP/s of C = A Bᵀ (m × k times k × n) through the library's tiled, parallel sgemm."
    )

    @Option(help: "Rows of A and C.") var m: Int = 8192
    @Option(help: "Rows of B (columns of C).") var n: Int = 768
    @Option(help: "Inner dimension.") var k: Int = 768
    @Option(help: "Runs (the median is reported).") var runs: Int = 7
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        var generator = SeededGenerator(seed: 2)
        let a = Matrix.gaussian(rows: m, columns: k, generator: &generator)
        let b = Matrix.gaussian(rows: n, columns: k, generator: &generator)
        var c = Matrix(rows: m, columns: n)
        let seconds = threadOptions.run {
            medianSeconds(runs: runs) { BLAS.gemm(a, b, transposeB: true, into: &c) }
        }
        let row: [String: Any] = ["m": m, "n": n, "k": k, "threads": threadOptions.threads,
                                  "gflops": 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
