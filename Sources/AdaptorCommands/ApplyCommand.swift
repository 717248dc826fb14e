import ArgumentParser
import Matryoshka

/// `matryoshka apply`: adapt vectors with a saved model, streaming rows.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Adapt vectors with a saved adaptor (optionally truncated to m and re-normalised).",
        discussion: """
        Reads the input .npy in blocks of rows (each checked: finite, non-zero), so files larger than memory work \
        in constant memory; writes a float32 .npy atomically (the output appears only when complete). Without \
        --dimension the full adapted vectors x̂ are written (not normalised, exactly what the model computes); \
        with --dimension m each row is x̂[:m] / ‖x̂[:m]‖, ready for inner-product search, and only the work those \
        m coordinates need is done (the front map folded into the first layer, m output rows). The products run \
        on --threads workers; the output is identical for any thread count.

        With --precision (and --dimension m) the output holds codes instead: float16 (<f2, the same unit rows in \
        half precision), int8 (|i1, n × m: each coordinate's level on its corpus range, less 128), int4, int2 or \
        binary (|u1, the levels packed from the most significant bit down, n × ⌈m·bits/8⌉ bytes; binary is \
        numpy.packbits(y[:m] > centre[:m], axis=1)). Codes below 16 bits use the calibration fit stored in the \
        model, so queries and documents written apart agree; they encode the first m coordinates of the unit full \
        vector y = x̂ / ‖x̂‖.

        Examples:
          matryoshka apply --adaptor u.safetensors --input corpus.f32.npy \\
              --output corpus.64.npy --dimension 64
          matryoshka apply --adaptor u.safetensors --input corpus.f32.npy \\
              --output corpus.256.bits.npy --dimension 256 --precision binary
        """
    )

    @Option(help: ArgumentHelp("The model written by fit.", valueName: "MODEL")) var adaptor: String
    @Option(help: ArgumentHelp("Vectors to adapt (.npy, n × d).", valueName: "X.npy")) var input: String
    @Option(help: ArgumentHelp("Where to write the adapted vectors (.npy float32).", valueName: "Y.npy")) var output: String
    @Option(help: ArgumentHelp("Keep the first m coordinates and re-normalise each row.", valueName: "m")) var dimension: Int?
    @Option(help: ArgumentHelp("""
        Write codes of the size-m embedding instead of float32: float16, int8, int4, int2 or binary (needs \
        --dimension; see above for the layout).
        """, valueName: "P")) var precision: Precision?
    @Option(help: "Rows per block.") var blockRows: Int = 8192
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        guard blockRows >= 1 else { throw ValidationError("--block-rows must be positive") }
        if precision != nil, dimension == nil { throw ValidationError("--precision writes codes of a size: give --dimension m") }
    }

    func run() throws {
        try threadOptions.run(adapt)
    }

    func adapt() throws {
        try refuseOutputsOverwritingInputs(outputs: [("--output", output)], inputs: [("--adaptor", adaptor), ("--input", input)])
        let file = try openVectors(input, ids: nil).vectors
        let prepared = try EmbeddingMethod.model(path: adaptor).prepare(dimension: file.dimension, dataName: input)
        let pipeline = try flagged("--dimension") { try prepared.pipeline(dimension: dimension) }
        let display = ProgressDisplay(quiet: quiet)
        let start = ContinuousClock.now
        let progress = { (done: Int, total: Int) in display.update(rateLine("applied", done: done, total: total, unit: "rows", since: start)) }
        if let precision, precision != .float32 {
            let calibration = try prepared.calibration(for: [precision], corpus: file, modelName: adaptor)
            try pipeline.writeCodes(file, to: output, precision: precision, calibration: calibration, blockRows: blockRows,
                                 progress: progress)
            display.message("wrote \(file.rowCount) \(precision.rawValue) codes of size \(dimension!) "
                            + "(\(precision.bytes(dimension: dimension!)) bytes each) to \(output)")
            return
        }
        try pipeline.write(file, to: output, output: dimension == nil ? .transformed : .embeddings, blockRows: blockRows,
                           progress: progress)
        display.message("wrote \(file.rowCount) × \(dimension ?? pipeline.outputDimension) to \(output)")
    }
}
