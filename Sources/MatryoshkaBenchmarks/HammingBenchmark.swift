import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// The Hamming scan of binary codes (``/VectorSearch/CodeIndex/hammingSearch(_:k:)``) on codes written by another
/// program, so that FAISS `IndexBinaryFlat` can scan the same bytes in the same run (benchmarks/codes_speed.py).
struct HammingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hamming",
        abstract: "Queries per second of the exact Hamming top-k scan over packed binary codes.",
        discussion: """
        Reads raw packed codes (numpy's packbits rows, written with tofile) and prints one JSON object: the median \
        seconds of --runs scans of every query, and a checksum of the found indices (to compare engines).
        """
    )

    @Option(help: "Corpus codes: N rows of --bits / 8 bytes, raw.") var codes: String
    @Option(help: "Query codes: n rows of --bits / 8 bytes, raw.") var queries: String
    @Option(help: "Bits per code (a multiple of 8).") var bits: Int = 256
    @OptionGroup var scan: ScanOptions

    func run() throws {
        try scan.threadOptions.run(measure)
    }

    func measure() throws {
        guard bits > 0, bits % 8 == 0 else { throw ValidationError("--bits must be a positive multiple of 8, got \(bits)") }
        let width = bits / 8
        func read(_ path: String) throws -> CodeMatrix {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            guard bytes.count % width == 0 else {
                throw ValidationError("\(path): \(bytes.count) bytes is not a whole number of \(width)-byte codes")
            }
            return CodeMatrix(precision: .binary, dimension: bits, rows: bytes.count / width, bytes: bytes)
        }
        let index = CodeIndex(codes: try read(codes), calibration: nil, scoring: .hamming)
        let queryCodes = try read(queries)
        var found = index.hammingSearch(queryCodes, k: scan.k)
        let seconds = medianSeconds(runs: scan.runs) { found = index.hammingSearch(queryCodes, k: scan.k) }
        let row: [String: Any] = [
            "documents": index.codes.rows, "queries": queryCodes.rows, "bits": bits, "k": scan.k,
            "threads": scan.threadOptions.threads, "seconds": seconds,
            "microseconds_per_query": seconds / Double(queryCodes.rows) * 1e6,
            "indices": found.indices.map(Int.init),
        ]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
