@testable import AdaptorCommands
import Matryoshka
import Foundation
import Testing
import _TestSupport

/// Writes interrupted by SIGINT, SIGTERM and kill -9, and two writers racing for one destination, run against the
/// built `matryoshka` executable: the destination keeps its old content or gets one complete file, and no
/// temporary file outlives the next write.
@Suite(.serialized) struct InterruptedWriteTests {
    let dir = TemporaryDirectory()

    /// A 12-d model and an input of `rows` rows.
    func inputs(rows: Int) throws -> (model: String, input: String) {
        var corpus = Fixtures.randomMatrix(rows: rows, columns: 12, seed: 5)
        for i in 0 ..< rows { corpus[i, i % 3] += 2 }
        let input = dir.file("in-\(rows).npy")
        try writeNpy(corpus, to: input)
        let training = dir.file("train.npy")
        try writeNpy(corpus.block(0 ..< min(rows, 300)), to: training)
        let model = dir.file("m.safetensors")
        if !fileExists(model) {
            try FitCommand.parse(["--corpus", training, "--out", model, "--k", "3", "--iterations", "10", "--hidden", "6",
                                  "--validation-interval", "5", "--quiet"]).run()
        }
        return (model, input)
    }

    /// `matryoshka apply` writing `output` one row per block (slow enough to be caught mid-write).
    func apply(_ executable: String, model: String, input: String, output: String, blockRows: Int = 1) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["apply", "--adaptor", model, "--input", input, "--output", output, "--quiet",
                             "--block-rows", String(blockRows)]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    func temporaries() -> [String] { listDirectory(dir.path).filter { $0.hasSuffix(".tmp") } }

    /// Waits (up to 20 s) until a temporary file for `out.npy` exists.
    func waitForTemporary() -> Bool {
        for _ in 0 ..< 400 {
            if !temporaries().isEmpty { return true }
            usleep(50_000)
        }
        return false
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalMidWriteRemovesTheTemporaryAndKeepsTheDestination(signal: Int32, status: Int32) throws {
        let executable = try #require(builtExecutable, "the matryoshka executable is built beside the tests")
        let (model, input) = try inputs(rows: 400_000)
        let output = dir.write("old content\n", to: "out.npy")
        let (process, errors) = try apply(executable, model: model, input: input, output: output)
        #expect(waitForTemporary(), "apply started writing")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == status, "\(process.terminationStatus)")
        #expect(message.contains("nothing was written to \(output)"), "\(message)")
        #expect(message.split(separator: "\n").count == 1, "one line: \(message)")
        #expect(Fixtures.bytes(of: output) == Array("old content\n".utf8))
        #expect(temporaries().isEmpty, "\(temporaries())")
    }

    @Test func afterKill9TheNextWriteRemovesTheStaleTemporary() throws {
        let executable = try #require(builtExecutable)
        let (model, input) = try inputs(rows: 400_000)
        let output = dir.write("old content\n", to: "out.npy")
        let (process, _) = try apply(executable, model: model, input: input, output: output)
        #expect(waitForTemporary())
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(temporaries().count == 1, "kill -9 leaves its temporary: \(temporaries())")
        #expect(Fixtures.bytes(of: output) == Array("old content\n".utf8))
        // A live writer's temporary is never touched: only files whose process is gone are removed.
        let live = dir.write("x", to: ".out.npy.\(getpid())-7.tmp")
        let (_, small) = try inputs(rows: 50)
        let (next, nextErrors) = try apply(executable, model: model, input: small, output: output, blockRows: 8192)
        next.waitUntilExit()
        #expect(next.terminationStatus == 0, "\(String(decoding: nextErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        #expect(temporaries() == [URL(fileURLWithPath: live).lastPathComponent])
        #expect(try readNpy(output).rows == 50)
    }

    @Test func twoWritersOfOneDestinationLeaveOneCompleteFile() throws {
        let executable = try #require(builtExecutable)
        let (model, input) = try inputs(rows: 20_000)
        let output = dir.file("out.npy")
        let first = try apply(executable, model: model, input: input, output: output, blockRows: 500)
        let second = try apply(executable, model: model, input: input, output: output, blockRows: 500)
        first.0.waitUntilExit()
        second.0.waitUntilExit()
        #expect(first.0.terminationStatus == 0 && second.0.terminationStatus == 0)
        let written = try readNpy(output)
        #expect(written.rows == 20_000 && written.columns == 12)
        #expect(temporaries().isEmpty)
    }

    /// An error found while a subcommand runs shows that subcommand's usage, not the root's.
    @Test func errorsInASubcommandShowItsUsage() throws {
        let executable = try #require(builtExecutable)
        let (model, input) = try inputs(rows: 50)
        let (status, message) = try runToEnd(executable, ["apply", "--adaptor", model, "--input", input,
                                                          "--output", dir.file("o.npy"), "--dimension", "99"])
        #expect(status != 0)
        #expect(message.contains("--dimension 99") && message.contains("Usage: matryoshka apply"), "\(message)")
        #expect(!message.contains("<subcommand>"), "\(message)")
    }
}
