import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// Queries per second of adaptive retrieval (shortlist on m coordinates, re-ranked at full size) next to exact
/// search at the full size and at m, on adapted vectors held in memory.
struct FunnelBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "Queries per second: exact search at full size and at m, and the funnel (top K at m, re-ranked at full size).",
        discussion: "Prints one JSON object per setting: kind (exact or funnel), m, K, queries per second."
    )

    @Option(help: "Corpus vectors (.npy, N × d).") var corpus: String
    @Option(help: "Query vectors (.npy, n × d).") var queries: String
    @Option(help: "A model written by fit (default: the raw vectors).") var adaptor: String?
    @Option(help: "Comma-separated shortlist sizes m.") var dims: String = "16,32,64"
    @Option(help: "Comma-separated shortlist lengths K.") var sizes: String = "50,100,200"
    @Option(help: "Neighbours per query.") var k: Int = 10
    @Option(help: "Timed runs per measurement (the median is reported).") var runs: Int = 5
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.run(measure)
    }

    func measure() throws {
        let rawCorpus = try readNpy(corpus), rawQueries = try readNpy(queries)
        let model = try adaptor.map { try AdaptorModel.load($0) }
        let x = model?.apply(rawCorpus) ?? rawCorpus, q = model?.apply(rawQueries) ?? rawQueries
        let full = FlatIndex(vectors: x)
        var checksum = 0
        func report(_ kind: String, _ m: Int, _ size: Int?, _ seconds: Double) throws {
            var row: [String: Any] = ["kind": kind, "m": m, "queries_per_second": Double(q.rows) / seconds,
                                      "threads": threadOptions.threads, "documents": x.rows, "queries": q.rows]
            if let size { row["K"] = size }
            let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        try report("exact", x.columns, nil, medianSeconds(runs: runs) { checksum &+= Int(full.search(q, k: k).indices[0]) })
        for m in try parseDimensions(dims) {
            let prefix = FlatIndex(vectors: x, prefix: m), qm = q.normalizedPrefix(columns: m)
            try report("exact", m, nil, medianSeconds(runs: runs) { checksum &+= Int(prefix.search(qm, k: k).indices[0]) })
            for size in try parseDimensions(sizes, flag: "--sizes") {
                let funnel = TwoTierIndex(full: full, shortlistDimension: m, shortlistSize: size)
                try report("funnel", m, size, medianSeconds(runs: runs) { checksum &+= Int(funnel.search(q, k: k).indices[0]) })
            }
        }
        if checksum == Int.min { print(checksum) }
    }
}
