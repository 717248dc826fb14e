import EmbeddingIO
import Foundation
import EmbeddingMath

/// Builders for test inputs: hand-made `.npy` bytes and tiny data set folders.
public enum Fixtures {
    /// The bytes of a `.npy` file with header dictionary `dictionary`, format `version` (1, 2 or 3),
    /// followed by `data`. No validation: this is how malformed files are made.
    public static func npyBytes(dictionary: String, version: UInt8 = 1, data: [UInt8]) -> [UInt8] {
        let prefixLength = version == 1 ? 10 : 12
        var header = dictionary
        let unpadded = prefixLength + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = header.utf8.count
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        if version == 1 {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
        }
        return bytes + Array(header.utf8) + data
    }

    /// Little-endian bytes of float32 values.
    public static func float32Bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// Little-endian bytes of float64 values.
    public static func float64Bytes(_ values: [Double]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// Writes a data set folder `name` inside `directory`: vectors, ids and the given qrels splits.
    ///
    /// Corpus ids are `d0, d1, …` and query ids `q0, q1, …`; `qrels[split]` lines are `(query, doc, grade)`.
    @discardableResult
    public static func writeDataset(
        in directory: TemporaryDirectory, name: String = "tiny", corpus: Matrix, queries: Matrix?,
        qrels: [String: [(String, String, Int)]] = [:]
    ) throws -> String {
        try writeNpy(corpus, to: directory.file("\(name)/corpus.f32.npy"))
        directory.write((0 ..< corpus.rows).map { "d\($0)\n" }.joined(), to: "\(name)/corpus_ids.txt")
        if let queries {
            try writeNpy(queries, to: directory.file("\(name)/queries.f32.npy"))
            directory.write((0 ..< queries.rows).map { "q\($0)\n" }.joined(), to: "\(name)/query_ids.txt")
        }
        for (split, rows) in qrels {
            let lines = ["query-id\tcorpus-id\tscore"] + rows.map { "\($0.0)\t\($0.1)\t\($0.2)" }
            directory.write(lines.joined(separator: "\n") + "\n", to: "\(name)/qrels/\(split).tsv")
        }
        return "\(directory.path)/\(name)"
    }

    /// The bytes of the file at `path`, or nil when it cannot be read.
    public static func bytes(of path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    /// A random `rows × columns` matrix with standard normal entries from `seed`.
    public static func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return Matrix.gaussian(rows: rows, columns: columns, generator: &generator)
    }
}
