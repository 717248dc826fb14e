import Matryoshka
import Foundation

/// The built `matryoshka` executable: beside the test bundle's folder (`.build/<configuration>/`), or in
/// `.build/debug`; nil when neither exists.
var builtExecutable: String? {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("matryoshka").path
    return [beside, ".build/debug/matryoshka"].first(where: fileExists)
}

/// Runs `executable` with `arguments` to its end.
/// - Returns: its exit status and what it wrote to standard error.
func runToEnd(_ executable: String, _ arguments: [String]) throws -> (status: Int32, standardError: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, message)
}
