@testable import AdaptorCommands
import Foundation
import Matryoshka
import Testing
import _TestSupport

/// The trials of a careless user, against the built `matryoshka` executable: outputs that are devices, FIFOs,
/// symbolic links, files of another mode or owner, or one of the command's own inputs; models holding NaN; rows
/// whose float32 length over- or underflows. Nothing is replaced that is not a regular file, nothing read is
/// overwritten, and what cannot be used is refused with the file named.
@Suite(.serialized) struct CarefulWriteTests {
    let dir = TemporaryDirectory()

    /// A 12-d model and a 40-row input.
    func inputs() throws -> (model: String, input: String) {
        var corpus = Fixtures.randomMatrix(rows: 40, columns: 12, seed: 7)
        for i in 0 ..< 40 { corpus[i, i % 3] += 2 }
        let input = dir.file("in.npy")
        try writeNpy(corpus, to: input)
        let model = dir.file("m.safetensors")
        if !fileExists(model) {
            try FitCommand.parse(["--corpus", input, "--out", model, "--k", "3", "--iterations", "10", "--hidden", "6",
                                  "--validation-interval", "5", "--quiet"]).run()
        }
        return (model, input)
    }

    func apply(_ output: String, dimension: Int? = 4) throws -> (status: Int32, standardError: String) {
        let executable = try #require(builtExecutable, "the matryoshka executable is built beside the tests")
        let (model, input) = try inputs()
        return try runToEnd(executable, ["apply", "--adaptor", model, "--input", input, "--output", output, "--quiet"]
                                + (dimension.map { ["--dimension", String($0)] } ?? []))
    }

    func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    func kind(_ path: String) -> mode_t? { status(path).map { $0.st_mode & S_IFMT } }

    @Test func characterDevicesAreWrittenNotReplaced() throws {
        // A null device of our own first (mknod needs root; skipped without it), then the machine's /dev/null
        // itself, which the old rename replaced by a regular file.
        let own = dir.file("null")
        // Major 1, minor 3: the null device (glibc's makedev for numbers this small).
        if mknod(own, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 {
            let (code, message) = try apply(own)
            #expect(code == 0, "\(message)")
            try #require(kind(own) == S_IFCHR, "the device stays a device")
        }
        let (code, message) = try apply("/dev/null")
        #expect(code == 0, "\(message)")
        #expect(kind("/dev/null") == S_IFCHR)
        // A device that refuses the bytes: the error is reported, and the device stays.
        if fileExists("/dev/full") {
            let (full, fullMessage) = try apply("/dev/full")
            #expect(full != 0)
            #expect(fullMessage.contains("/dev/full") && fullMessage.contains("No space left on device"), "\(fullMessage)")
            #expect(kind("/dev/full") == S_IFCHR)
        }
    }

    @Test func aFIFOIsWrittenInOrderToItsReader() throws {
        let fifo = dir.file("pipe")
        try #require(mkfifo(fifo, 0o600) == 0)
        nonisolated(unsafe) var received: [UInt8] = []
        let reader = Thread {
            if let handle = FileHandle(forReadingAtPath: fifo) { received = Array(handle.readDataToEndOfFile()) }
        }
        reader.start()
        let (code, message) = try apply(fifo)
        #expect(code == 0, "\(message)")
        while reader.isExecuting || !reader.isFinished { usleep(10_000) }
        #expect(kind(fifo) == S_IFIFO, "the FIFO stays a FIFO")
        let copy = dir.write(bytes: received, to: "received.npy")
        let vectors = try readNpy(copy)
        #expect(vectors.rows == 40 && vectors.columns == 4)
    }

    @Test func aSymbolicLinkIsWrittenThroughAndStays() throws {
        let target = dir.write("old\n", to: "target.npy")
        let link = dir.file("link.npy")
        try #require(symlink("target.npy", link) == 0)
        let (code, message) = try apply(link)
        #expect(code == 0, "\(message)")
        #expect(kind(link) == S_IFLNK, "the link stays a link")
        #expect(try readNpy(target).columns == 4, "the file it points to has the output")
        // A dangling link: the file it names is created, as `>` would.
        let dangling = dir.file("dangling.npy")
        try #require(symlink("made.npy", dangling) == 0)
        let (second, secondMessage) = try apply(dangling)
        #expect(second == 0, "\(secondMessage)")
        #expect(kind(dangling) == S_IFLNK)
        #expect(try readNpy(dir.file("made.npy")).rows == 40)
    }

    @Test func anExistingFileKeepsItsModeAndOwner() throws {
        let output = dir.write("secret\n", to: "private.npy")
        try #require(chmod(output, 0o600) == 0)
        let asRoot = geteuid() == 0
        if asRoot { try #require(chown(output, 12345, 12345) == 0) }
        let (code, message) = try apply(output)
        #expect(code == 0, "\(message)")
        let after = try #require(status(output))
        #expect(after.st_mode & 0o7777 == 0o600, "mode \(String(after.st_mode & 0o7777, radix: 8))")
        if asRoot { #expect(after.st_uid == 12345 && after.st_gid == 12345, "owner \(after.st_uid):\(after.st_gid)") }
        #expect(try readNpy(output).columns == 4)
        // A new file gets the umask's mode, as any new file would.
        let fresh = dir.file("fresh.npy")
        let mask = umask(0o022)
        umask(mask)
        #expect(try apply(fresh).status == 0)
        #expect(status(fresh)!.st_mode & 0o777 == 0o666 & ~mask)
    }

    @Test func aDirectoryIsRefused() throws {
        let folder = dir.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (code, message) = try apply(folder)
        #expect(code != 0 && message.contains("is a directory"), "\(message)")
        #expect(kind(folder) == S_IFDIR)
    }

    @Test func anOutputThatIsAnInputIsRefusedBeforeAnyWork() throws {
        let executable = try #require(builtExecutable)
        let (model, input) = try inputs()
        let modelBytes = Fixtures.bytes(of: model), inputBytes = Fixtures.bytes(of: input)
        // The corpus as the model's destination.
        var (code, message) = try runToEnd(executable, ["fit", "--corpus", input, "--out", input, "--iterations", "5", "--quiet"])
        #expect(code != 0 && message.contains("--out names the same file as --corpus"), "\(message)")
        #expect(Fixtures.bytes(of: input) == inputBytes)
        // The model as apply's output, by its own name, by a symbolic link and by a hard link.
        let symbolic = dir.file("model-link"), hard = dir.file("model-hard")
        try #require(symlink(model, symbolic) == 0 && link(model, hard) == 0)
        for output in [model, symbolic, hard] {
            (code, message) = try runToEnd(executable, ["apply", "--adaptor", model, "--input", input, "--output", output])
            #expect(code != 0 && message.contains("--output names the same file as --adaptor"), "\(output): \(message)")
        }
        #expect(Fixtures.bytes(of: model) == modelBytes)
        // Two outputs naming one new file.
        let log = dir.file("both.out")
        (code, message) = try runToEnd(executable, ["fit", "--corpus", input, "--out", log, "--fidelity-log", log,
                                                    "--selection", "fidelity", "--iterations", "5", "--quiet"])
        #expect(code != 0 && message.contains("--fidelity-log names the same file as --out"), "\(message)")
        #expect(!fileExists(log))
    }

    @Test func aModelHoldingNaNIsRefusedWhereverItIsLoaded() throws {
        let executable = try #require(builtExecutable)
        let (model, input) = try inputs()
        var (tensors, metadata) = try Safetensors.read(model)
        _ = metadata
        var bias = try #require(tensors["output.bias"]?.floats)
        bias[3] = .nan
        tensors["output.bias"] = SafetensorsTensor(shape: [bias.count], values: .float32(bias))
        let broken = dir.file("nan.safetensors")
        try Safetensors.write(tensors, metadata: metadata, to: broken)
        let output = dir.file("never.npy")
        var (code, message) = try runToEnd(executable, ["apply", "--adaptor", broken, "--input", input, "--output", output])
        #expect(code != 0 && message.contains("tensor 'output.bias' holds nan at [3]"), "\(message)")
        #expect(!fileExists(output))
        let folder = try Fixtures.writeDataset(in: dir, corpus: try readNpy(input), queries: Fixtures.randomMatrix(rows: 4, columns: 12, seed: 2))
        (code, message) = try runToEnd(executable, ["evaluate", "--data", folder, "--method", "adaptor", "--adaptor", broken])
        #expect(code != 0 && message.contains("holds nan"), "\(message)")
        // An infinite rotation entry likewise.
        var rotation = try #require(tensors["rotation"]?.floats)
        rotation[13] = .infinity
        tensors["output.bias"] = SafetensorsTensor(shape: [bias.count], values: .float32(bias.map { $0.isNaN ? 0 : $0 }))
        tensors["rotation"] = SafetensorsTensor(shape: [12, 12], values: .float32(rotation))
        try Safetensors.write(tensors, metadata: metadata, to: broken)
        (code, message) = try runToEnd(executable, ["apply", "--adaptor", broken, "--input", input, "--output", output])
        #expect(code != 0 && message.contains("tensor 'rotation' holds inf at [1, 1]"), "\(message)")
    }

    @Test func rowsWhoseSquaredLengthOverflowsOrUnderflowsKeepTheirDirection() throws {
        let executable = try #require(builtExecutable)
        let (model, _) = try inputs()
        var rows = Fixtures.randomMatrix(rows: 6, columns: 12, seed: 3)
        for j in 0 ..< 12 { rows[0, j] = 1e30; rows[1, j] = 3e38 * (j.isMultiple(of: 2) ? 1 : -1); rows[2, j] = 0 }
        rows[2, 5] = 1e-45
        for j in 0 ..< 12 { rows[3, j] = j == 0 ? 1e20 : 0 }
        let input = dir.file("extreme.npy")
        try writeNpy(rows, to: input)
        let output = dir.file("extreme-out.npy")
        let (code, message) = try runToEnd(executable, ["apply", "--adaptor", model, "--input", input, "--output", output,
                                                        "--dimension", "4", "--quiet"])
        #expect(code == 0, "\(message)")
        let written = try readNpy(output)
        for i in 0 ..< written.rows {
            let norm = (0 ..< 4).reduce(Float(0)) { $0 + written[i, $1] * written[i, $1] }.squareRoot()
            #expect(abs(norm - 1) < 1e-4, "row \(i) has length \(norm)")
        }
        // The same rows train: each has a direction.
        let fitted = dir.file("extreme.safetensors")
        let training = dir.file("extreme-train.npy")
        var corpus = try readNpy(try inputs().input)
        for i in 0 ..< 4 { for j in 0 ..< 12 { corpus[i, j] = rows[i, j] } }
        try writeNpy(corpus, to: training)
        let fit = try runToEnd(executable, ["fit", "--corpus", training, "--out", fitted, "--k", "3", "--iterations", "5",
                                            "--hidden", "6", "--validation-interval", "5", "--quiet"])
        #expect(fit.status == 0, "\(fit.standardError)")
    }
}
