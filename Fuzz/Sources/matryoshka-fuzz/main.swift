import AdaptorNN
import EmbeddingIO
import EmbeddingMath
@_spi(Fuzzing) import EmbeddingServer
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer entry point for every parser; `MATRYOSHKA_FUZZ_TARGET` picks the parser:
///
/// - `npy-header`: `NpyHeader.parse` (magic, version, header length, the Python dict, shape, dtype)
/// - `npy`: `NpyFile(path:)` (the header against the file's size) and then every row (`block`, with its checks)
/// - `safetensors`: `Safetensors.read` (8-byte length, JSON header, dtypes, shapes, offsets)
/// - `model`: `AdaptorModel.load` (safetensors plus the model's metadata and tensor shapes)
/// - `qrels`: `Qrels.parse` (BEIR TSV)
/// - `ids`: `parseIdList` (one id per line)
/// - `jsonl`: `parseJSONLinesIds` (BEIR corpus.jsonl ids)
/// - `request`: the server's JSON request bodies, parsed as every route would (`EmbeddingServer.parseAsEveryRoute`)
///
/// The file-level targets (`npy`, `safetensors`, `model`) read the input from a file in a private temporary folder,
/// as users give them paths; the others parse the bytes in memory.
/// A parser may reject any input with an error; the fuzzer looks for crashes, sanitizer reports, leaks and hangs.
let target = ProcessInfo.processInfo.environment["MATRYOSHKA_FUZZ_TARGET"] ?? ""
let folder: String = {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    let path = "\(base)/matryoshka-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()
let inputPath = folder + "/input"

/// libFuzzer's driver, called from Swift's entry point (SwiftPM gives executables their own `main`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

func initialize() {
    let known = ["npy-header", "npy", "safetensors", "model", "qrels", "ids", "jsonl", "request"]
    guard known.contains(target) else {
        FileHandle.standardError.write(Data("MATRYOSHKA_FUZZ_TARGET must be one of \(known.joined(separator: ", ")); got '\(target)'\n".utf8))
        exit(2)
    }
    atexit { unlink(inputPath); rmdir(folder) }
}

func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data!, count: size))
    // Parsers with an in-memory entry point get the bytes directly; the others read them from a file.
    switch target {
    case "request":
        EmbeddingServer.parseAsEveryRoute(Data(bytes))
        return 0
    case "npy-header":
        _ = try? NpyHeader.parse(bytes, path: "input.npy")
        return 0
    case "qrels":
        _ = try? Qrels.parse(String(decoding: bytes, as: UTF8.self), path: "input.tsv")
        return 0
    case "ids":
        _ = try? parseIdList(String(decoding: bytes, as: UTF8.self), path: "input.txt")
        return 0
    case "jsonl":
        _ = try? parseJSONLinesIds(String(decoding: bytes, as: UTF8.self), path: "input.jsonl")
        return 0
    default:
        break
    }
    guard let file = fopen(inputPath, "wb") else { fatalError("cannot write \(inputPath)") }
    if size > 0 { fwrite(data!, 1, size, file) }
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
    return 0
}

initialize()
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data, size) })
