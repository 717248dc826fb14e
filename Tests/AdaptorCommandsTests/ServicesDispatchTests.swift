@testable import AdaptorCommands
import Foundation
import Testing
import _TestSupport

/// `matryoshka serve|load|search --postgres` run matryoshka-services, git-style, against the built executables.
@Suite struct ServicesDispatchTests {
    let dir = TemporaryDirectory()

    /// Runs `executable` with `arguments` and environment `environment`; its exit status, output and errors.
    func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws
        -> (status: Int32, output: String, errors: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complained = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, printed, complained)
    }

    @Test func theCompanionAnswersForServeAndLoad() throws {
        let executable = try #require(builtExecutable, "the matryoshka executable is built beside the tests")
        let services = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(Services.executableName).path
        try #require(FileManager.default.isExecutableFile(atPath: services), "matryoshka-services is built beside it")
        let serve = try run(executable, ["serve", "--help"], environment: ["PATH": ""])
        #expect(serve.status == 0 && serve.output.contains("USAGE: matryoshka serve") && serve.output.contains("--upstream"))
        let load = try run(executable, ["load", "--help"], environment: ["PATH": ""])
        #expect(load.status == 0 && load.output.contains("--commit-every"))
    }

    @Test func aMissingCompanionIsNamedWithItsBuildCommand() throws {
        let executable = try #require(builtExecutable, "the matryoshka executable is built beside the tests")
        let alone = dir.file("matryoshka")
        try FileManager.default.copyItem(atPath: executable, toPath: alone)
        let (status, _, errors) = try run(alone, ["serve", "--port", "0"], environment: ["PATH": ""])
        #expect(status != 0)
        #expect(errors.contains("matryoshka serve is run by matryoshka-services, which is not built here"), "\(errors)")
        #expect(errors.contains("swift build -c release --product matryoshka-services"))
    }
}
