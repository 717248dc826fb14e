import AdaptorNN
import EmbeddingIO
import EmbeddingMath
import Foundation
import FuzzDriver
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer entry point for every file parser; `MATRYOSHKA_FUZZ_TARGET` picks the parser (the server's
/// request bodies are fuzzed by `matryoshka-fuzz-request`):
///
/// - `npy-header`: `NpyHeader.parse` (magic, version, header length, the Python dict, shape, dtype)
/// - `npy`: `NpyFile(path:)` (the header against the file's size) and then every row (`block`, with its checks)
/// - `safetensors`: `Safetensors.read` (8-byte length, JSON header, dtypes, shapes, offsets)
/// - `model`: `AdaptorModel.load` (safetensors plus the model's metadata and tensor shapes)
/// - `qrels`: `Qrels.parse(utf8:)` (BEIR TSV, as `Qrels.read` parses a file's bytes)
/// - `ids`: `parseIdList` (one id per line)
/// - `jsonl`: `parseJSONLinesIds` (BEIR corpus.jsonl ids)
///
/// The file-level targets (`npy`, `safetensors`, `model`) read the input from a file in a private temporary folder,
/// as users give them paths; the others parse the bytes in memory.
/// A parser may reject any input with an error; the fuzzer looks for crashes, sanitizer reports, leaks and hangs.
let target = FuzzDriver.target(among: ["npy-header", "npy", "safetensors", "model", "qrels", "ids", "jsonl"])
let folder: String = {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = "\(base)/matryoshka-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()
let inputPath = folder + "/input"

func fuzz(_ bytes: [UInt8]) {
    // Parsers with an in-memory entry point get the bytes directly; the others read them from a file.
    switch target {
    case "npy-header":
        _ = try? NpyHeader.parse(bytes, path: "input.npy")
        return
    case "qrels":
        _ = try? Qrels.parse(utf8: bytes, path: "input.tsv")
        return
    case "ids":
        _ = try? parseIdList(String(decoding: bytes, as: UTF8.self), path: "input.txt")
        return
    case "jsonl":
        _ = try? parseJSONLinesIds(String(decoding: bytes, as: UTF8.self), path: "input.jsonl")
        return
    default:
        break
    }
    guard let file = fopen(inputPath, "wb") else { fatalError("cannot write \(inputPath)") }
    if !bytes.isEmpty { fwrite(bytes, 1, bytes.count, file) }
    fclose(file)
    switch target {
    case "npy":
        if let npy = try? NpyFile(path: inputPath) { _ = try? npy.block(0 ..< npy.rowCount) }
    case "safetensors":
        _ = try? Safetensors.read(inputPath)
    case "model":
        if let model = try? AdaptorModel.load(inputPath) {
            _ = model.apply(Matrix(rows: 1, columns: model.inputDimension, storage: [Float](repeating: 1, count: model.inputDimension)))
        }
    default:
        break
    }
}

atexit { unlink(inputPath); rmdir(folder) }
FuzzDriver.run(fuzz)
