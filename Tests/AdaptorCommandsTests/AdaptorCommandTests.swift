@testable import AdaptorCommands
import Matryoshka
import ArgumentParser
import Foundation
import Testing
import _TestSupport

@Suite struct AdaptorCommandTests {
    let dir = TemporaryDirectory()

    func dataset() throws -> String {
        var corpus = Fixtures.randomMatrix(rows: 60, columns: 12, seed: 1)
        for i in 0 ..< 60 { corpus[i, i % 3] += 2 }
        return try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Fixtures.randomMatrix(rows: 5, columns: 12, seed: 2),
                                         qrels: ["test": [("q0", "d1", 1), ("q1", "d2", 1), ("q2", "d3", 1)]])
    }

    func fit(_ folder: String, _ out: String) throws {
        try FitCommand.parse(["--data", folder, "--out", out, "--k", "3", "--batch-size", "8", "--iterations", "20",
                              "--validation-interval", "5", "--hidden", "6", "--quiet"]).run()
    }

    @Test func fitThenEvaluateThenApply() throws {
        let folder = try dataset()
        let model = dir.file("m.safetensors")
        try fit(folder, model)
        let loaded = try AdaptorModel.load(model)
        #expect(loaded.adaptor.configuration.hiddenDimension == 6 && loaded.sizes.sizes == [12])

        let json = try EvaluateCommand.parse(["--data", folder, "--method", "adaptor", "--adaptor", model, "--json", "--dims", "4,12"]).output()
        let results = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])["results"] as! [[String: Any]]
        #expect(results.map { $0["dimension"] as! Int } == [4, 12])

        let input = "\(folder)/corpus.f32.npy"
        let whole = dir.file("whole.npy"), blocked = dir.file("blocked.npy"), short = dir.file("short.npy")
        try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", whole, "--quiet"]).run()
        try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", blocked, "--block-rows", "7", "--quiet"]).run()
        try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", short, "--dimension", "4", "--quiet"]).run()
        let expected = loaded.apply(try readNpy(input))
        // Equal to rounding, not bit for bit: OpenBLAS may take a different edge kernel for another block shape (seen
        // on an AMD EPYC without AVX-512). Equality at any thread count, which the fixed tiles promise, is tested
        // with the same blocks.
        #expect(maxAbsoluteDifference(try readNpy(whole), expected) < 1e-6)
        #expect(maxAbsoluteDifference(try readNpy(blocked), expected) < 1e-6, "streaming in blocks gives the same rows")
        #expect(maxAbsoluteDifference(try readNpy(short), expected.normalizedPrefix(columns: 4)) < 1e-5)
    }

    /// apply --precision writes codes numpy reads (`|u1` packed bits, `|i1` levels, `<f2` rows), equal to the
    /// library's codes of the unit full vectors with the model's calibration; without --dimension, or with a model
    /// that has no calibration, it refuses and writes nothing.
    @Test func applyWritesCodes() throws {
        let folder = try dataset()
        let model = dir.file("codes.safetensors")
        try fit(folder, model)
        let loaded = try AdaptorModel.load(model)
        let input = "\(folder)/corpus.f32.npy"
        var y = loaded.apply(try readNpy(input))
        y.normalizeRows()
        for (precision, descr, columns) in [(Precision.binary, "|u1", 2), (.int2, "|u1", 3), (.int8, "|i1", 10)] {
            let path = dir.file("codes-\(precision).npy")
            try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", path, "--dimension", "10",
                                    "--precision", precision.rawValue, "--quiet"]).run()
            let bytes = Fixtures.bytes(of: path)!
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            let header = String(decoding: bytes[10 ..< 10 + headerLength], as: UTF8.self)
            #expect(header.contains("'descr': '\(descr)'") && header.contains("'shape': (60, \(columns))"))
            let expected = CodeMatrix(encoding: y, dimension: 10, precision: precision, calibration: loaded.calibration)
            #expect(Array(bytes[(10 + headerLength)...]) == expected.bytes)
        }
        let half = dir.file("half.npy")
        try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", half, "--dimension", "4",
                                "--precision", "float16", "--quiet"]).run()
        #expect(Fixtures.bytes(of: half)!.count == 128 + 60 * 4 * 2)
        #expect(throws: (any Error).self) {
            try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", half, "--precision", "int8"])
        }
        var old = loaded
        old.calibration = nil
        let oldPath = dir.file("old.safetensors")
        try old.save(to: oldPath)
        let never = dir.file("never.npy")
        #expect(throws: EvaluationError.noCalibration(model: oldPath)) {
            try ApplyCommand.parse(["--adaptor", oldPath, "--input", input, "--output", never, "--dimension", "4",
                                    "--precision", "binary", "--quiet"]).run()
        }
        #expect(!FileManager.default.fileExists(atPath: never))
    }

    /// search --precision holds codes and scores them as evaluate does; re-scoring every document by the full vectors
    /// gives exact search at the full size; bad combinations are refused.
    @Test func searchHoldsCodes() throws {
        let folder = try dataset()
        let model = dir.file("search-codes.safetensors")
        try fit(folder, model)
        let base = ["--data", folder, "--adaptor", model, "--k", "5", "--quiet"]
        let exact = try SearchCommand.parse(base).runText()
        let rescored = try SearchCommand.parse(base + ["--dimension", "8", "--precision", "binary", "--rescore", "60"]).runText()
        // The same documents in the same order (scores agree to float rounding: re-scoring is in double precision).
        let ranking = { (run: String) in run.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") } }
        #expect(ranking(rescored) == ranking(exact))
        let codes = try SearchCommand.parse(base + ["--dimension", "8", "--precision", "int2"]).runText()
        #expect(codes.split(separator: "\n").count == 25 && codes != exact)
        for bad in [["--rescore", "10"], ["--precision", "int8", "--scoring", "hamming"], ["--precision", "int8", "--rescore", "2"],
                    ["--precision", "int8", "--shortlist-dimension", "4"]] {
            #expect(throws: (any Error).self) { try SearchCommand.parse(base + bad) }
        }
    }

    /// `search --codes`: the codes `apply --precision` wrote give the same run as encoding the corpus; codes of
    /// other rows, another size or another precision are refused with the file's name.
    @Test func searchTakesTheCodesApplyWrote() throws {
        let folder = try dataset()
        let model = dir.file("stored-codes.safetensors")
        try fit(folder, model)
        let input = "\(folder)/corpus.f32.npy"
        func apply(_ model: String, _ precision: String, _ m: Int) throws -> String {
            let path = dir.file("stored-\(UUID().uuidString).npy")
            try ApplyCommand.parse(["--adaptor", model, "--input", input, "--output", path, "--dimension", "\(m)",
                                    "--precision", precision, "--quiet"]).run()
            return path
        }
        let base = ["--data", folder, "--adaptor", model, "--k", "5", "--quiet", "--dimension", "8"]
        let ranking = { (run: String) in run.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") } }
        for (precision, extra) in [("binary", ["--scoring", "hamming", "--rescore", "20"]), ("int8", []), ("float16", []), ("int2", [])] {
            let stored = try apply(model, precision, 8)
            let encoded = try SearchCommand.parse(base + ["--precision", precision] + extra).runText()
            let read = try SearchCommand.parse(base + ["--precision", precision, "--codes", stored] + extra).runText()
            // float16 files hold the unit size-m rows, the index half of the unit full vectors: the same directions,
            // rounded apart, so the same ranking; the calibrated codes are the very same bytes.
            if precision == "float16" { #expect(ranking(read) == ranking(encoded)) } else { #expect(read == encoded, "\(precision)") }
        }
        // Codes of other rows (the corpus reversed): the check of the first rows sees it.
        let corpus = try readNpy(input)
        let reversed = dir.file("reversed.npy")
        try writeNpy(corpus.gatherRows(Array((0 ..< corpus.rows).reversed())), to: reversed)
        let otherRows = dir.file("other-rows.npy")
        try ApplyCommand.parse(["--adaptor", model, "--input", reversed, "--output", otherRows, "--dimension", "8",
                                "--precision", "int8", "--quiet"]).run()
        let otherSize = try apply(model, "int8", 6), binary = try apply(model, "binary", 8)
        for (codes, text) in [(otherRows, "is not this model's int8 code"), (otherSize, "expected int8 codes of size 8"),
                              (binary, "expected int8 codes of size 8")] {
            #expect { try SearchCommand.parse(base + ["--precision", "int8", "--codes", codes]).runText() } throws: { error in
                "\(error)".contains(codes) && "\(error)".contains(text)
            }
        }
        #expect(throws: (any Error).self) { try SearchCommand.parse(base + ["--codes", binary]) }
    }

    @Test func corpusFileAloneTrains() throws {
        let folder = try dataset()
        let model = dir.file("c.safetensors")
        try FitCommand.parse(["--corpus", "\(folder)/corpus.f32.npy", "--out", model, "--k", "3", "--batch-size", "8",
                              "--iterations", "5", "--quiet"]).run()
        #expect(try AdaptorModel.load(model).dataFingerprint == EmbeddingSet.fingerprint(try readNpy("\(folder)/corpus.f32.npy")))
    }

    @Test func mistakesAreClearErrors() throws {
        let folder = try dataset()
        let model = dir.file("m.safetensors")
        try fit(folder, model)
        let wide = dir.file("wide.npy")
        try writeNpy(Fixtures.randomMatrix(rows: 3, columns: 16, seed: 3), to: wide)
        do {
            try ApplyCommand.parse(["--adaptor", model, "--input", wide, "--output", dir.file("o.npy"), "--quiet"]).run()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "\(model) takes 12-d vectors but \(wide) holds 16-d vectors")
        }
        #expect(!fileExists(dir.file("o.npy")), "nothing is half written")
        var bad = Fixtures.randomMatrix(rows: 3, columns: 12, seed: 3)
        bad[2, 5] = .nan
        let nan = dir.file("nan.npy")
        try writeNpy(bad, to: nan)
        do {
            try ApplyCommand.parse(["--adaptor", model, "--input", nan, "--output", dir.file("n.npy"), "--block-rows", "2", "--quiet"]).run()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("\(nan), row 2: value nan at column 5 is not finite"))
        }
        #expect(!fileExists(dir.file("n.npy")))
        #expect(throws: (any Error).self) { try EvaluateCommand.parse(["--data", folder, "--method", "adaptor"]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--out", model]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--corpus", "x.npy", "--out", model]) }
        #expect(throws: (any Error).self) { try ApplyCommand.parse(["--adaptor", model, "--input", wide, "--output", "o.npy", "--dimension", "0"]) }
        // The unsupervised default's switches: the floor is a share of nDCG, automatic centring is for that method.
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--out", model, "--headroom-floor", "0"]) }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--out", model, "--center", "sometimes"]) }
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--supervised", "--center", "auto"])
        }
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--out", model, "--method", "smec", "--center", "auto"]) }
        _ = try FitCommand.parse(["--data", folder, "--out", model, "--supervised", "--center", "on"])
        // The preservation term belongs to the distill objective; the fidelity log to unsupervised fidelity selection.
        #expect(throws: (any Error).self) { try FitCommand.parse(["--data", folder, "--out", model, "--preserve-weight", "-1"]) }
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--objective", "paper", "--preserve-weight", "1"]).fit()
        }
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--supervised", "--center", "on", "--fidelity-log", "f"])
        }
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--selection", "objective", "--fidelity-log", "f"])
        }
        // The rotation form trains unsupervised fits only.
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--supervised", "--center", "on", "--form", "rotation"])
        }
        #expect(throws: (any Error).self) {
            try FitCommand.parse(["--data", folder, "--out", model, "--method", "smec", "--center", "on", "--form", "rotation"])
        }
        _ = try FitCommand.parse(["--data", folder, "--out", model, "--form", "rotation"])
    }

    /// `--fidelity-log` writes one line per validation, starting with the untrained adaptor; `--preserve-weight`
    /// is recorded in the model file with the sizes it guards.
    @Test func fidelityLogAndPreservation() throws {
        let folder = try dataset()
        let model = dir.file("p.safetensors"), log = dir.file("fidelity.jsonl")
        try FitCommand.parse(["--data", folder, "--out", model, "--k", "3", "--batch-size", "8", "--iterations", "12",
                              "--validation-interval", "5", "--hidden", "6", "--preserve-weight", "2",
                              "--form", "residual", "--fidelity-log", log, "--quiet"]).run()
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let iterations = try lines.map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["iteration"] as! Int }
        #expect(iterations == [0, 5, 10, 12])
        let training = try AdaptorModel.load(model).training
        #expect(training.contains("\"preserve_weight\":2") && training.contains("\"preserved_sizes\":[12]"))
    }

    /// The unsupervised default and the paper's objective each bring their own schedule; explicit flags win.
    @Test func objectiveBringsItsSchedule() throws {
        let standard = try FitCommand.parse(["--corpus", "x.npy", "--out", "m"]).options().unsupervisedConfiguration(dimension: 8)
        #expect(standard.objective == .distill && standard.sizeWeighting == .headroom && standard.centring == .auto)
        #expect(standard.iterations == 3000 && standard.patience == 1000 && standard.preserveWeight == 3)
        #expect(standard.patienceFromTrainedWeights && standard.form == .rotationThenResidual)
        let paper = try FitCommand.parse(["--corpus", "x.npy", "--out", "m", "--objective", "paper"]).options()
            .unsupervisedConfiguration(dimension: 8)
        #expect(paper.iterations == 5000 && paper.patience == 500 && paper.preserveWeight == 0 && !paper.patienceFromTrainedWeights)
        #expect(paper.form == .residual, "the paper's objective trains the paper's residual")
        let explicit = try FitCommand.parse(["--corpus", "x.npy", "--out", "m", "--objective", "paper", "--patience", "7"])
            .options().unsupervisedConfiguration(dimension: 8)
        #expect(explicit.patience == 7 && explicit.iterations == 5000)
        let stage1 = try FitCommand.parse(["--corpus", "x.npy", "--out", "m"]).options()
            .unsupervisedConfiguration(dimension: 8, base: .paperDefaults)
        #expect(stage1.objective == .paper && stage1.centring == .off && stage1.patience == 500 && stage1.preserveWeight == 0)
        #expect(stage1.form == .residual)
        let off = try FitCommand.parse(["--corpus", "x.npy", "--out", "m", "--preserve-weight", "0"]).options()
            .unsupervisedConfiguration(dimension: 8)
        #expect(off.preserveWeight == 0 && !off.usesPreservation)
    }
}
