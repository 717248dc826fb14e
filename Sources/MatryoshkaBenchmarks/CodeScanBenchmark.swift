import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// The asymmetric scan of quantised codes (``/VectorSearch/CodeIndex/search(unitQueries:k:rescore:)``, float query
/// against int8 or int4 codes) on vectors written by another program, so that FAISS `IndexScalarQuantizer` can
/// index the same vectors in the same run (benchmarks/codes_speed.py).
struct CodeScanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code-scan",
        abstract: "Queries per second of the exact asymmetric top-k scan over int8 (or int4, int2, binary) codes.",
        discussion: """
        Reads raw float32 rows (numpy's tofile) for the corpus and the queries, normalises them, calibrates the codes \
        on the corpus (each coordinate's range, as FAISS's QT_8bit does), encodes it, and prints one JSON object: the \
        median seconds of --runs scans of every query and the found indices. Only the codes are held by the index.
        """
    )

    @Option(help: "Corpus vectors: N rows of --dimension float32 values, raw.") var vectors: String
    @Option(help: "Query vectors: n rows of --dimension float32 values, raw.") var queries: String
    @Option(help: "Coordinates per vector.") var dimension: Int = 64
    @Option(help: "Code precision: int8, int4, int2 or binary.") var precision: String = "int8"
    @OptionGroup var scan: ScanOptions

    func run() throws {
        try scan.threadOptions.run(measure)
    }

    func measure() throws {
        guard let precision = Precision(rawValue: precision), precision.needsCalibration else {
            throw ValidationError("--precision must be int8, int4, int2 or binary, got '\(self.precision)'")
        }
        guard dimension > 0 else { throw ValidationError("--dimension must be positive, got \(dimension)") }
        func read(_ path: String) throws -> Matrix {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count % (4 * dimension) == 0 else {
                throw ValidationError("\(path): \(data.count) bytes is not a whole number of \(dimension) float32 rows")
            }
            let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return Matrix(rows: values.count / dimension, columns: dimension, storage: values).normalizedRows()
        }
        let corpus = try read(vectors), queryVectors = try read(queries)
        let calibration = CodeCalibration(unitVectors: corpus)
        let codes = CodeMatrix(encoding: corpus, dimension: dimension, precision: precision, calibration: calibration)
        let index = CodeIndex(codes: codes, calibration: calibration)
        var found = index.search(unitQueries: queryVectors, k: scan.k)
        let seconds = medianSeconds(runs: scan.runs) { found = index.search(unitQueries: queryVectors, k: scan.k) }
        let row: [String: Any] = [
            "documents": codes.rows, "queries": queryVectors.rows, "dimension": dimension, "precision": precision.rawValue,
            "bytes_per_vector": codes.bytesPerVector, "k": scan.k, "threads": scan.threadOptions.threads, "seconds": seconds,
            "microseconds_per_query": seconds / Double(queryVectors.rows) * 1e6,
            "indices": found.indices.map(Int.init),
        ]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
