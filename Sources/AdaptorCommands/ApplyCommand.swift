import AdaptorNN
import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath

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

        Example:
          matryoshka apply --adaptor u.safetensors --input corpus.f32.npy \\
              --output corpus.64.npy --dimension 64
        """
    )

    @Option(help: ArgumentHelp("The model written by fit.", valueName: "MODEL")) var adaptor: String
    @Option(help: ArgumentHelp("Vectors to adapt (.npy, n × d).", valueName: "X.npy")) var input: String
    @Option(help: ArgumentHelp("Where to write the adapted vectors (.npy float32).", valueName: "Y.npy")) var output: String
    @Option(help: ArgumentHelp("Keep the first m coordinates and re-normalise each row.", valueName: "m")) var dimension: Int?
    @Option(help: "Rows per block.") var blockRows: Int = 8192
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        guard blockRows >= 1 else { throw ValidationError("--block-rows must be positive") }
    }

    func run() throws {
        try threadOptions.run(adapt)
    }

    func adapt() throws {
        let model = try AdaptorModel.load(adaptor)
        let file = try openVectors(input, ids: nil).vectors
        try model.checkInputDimension(file.dimension, of: input, modelPath: adaptor)
        let width = dimension ?? model.outputDimension
        guard width <= model.outputDimension else {
            throw ValidationError("--dimension \(width) exceeds the model's output dimension \(model.outputDimension)")
        }
        // Only the kept coordinates (all of them without --dimension), fused per tile; re-normalised with --dimension.
        let inference = PrefixInference(model: model, dimension: width)
        let display = ProgressDisplay(quiet: quiet)
        let writer = try NpyWriter(path: output, rows: file.rowCount, columns: width)
        let start = ContinuousClock.now
        try file.forEachBlock(rows: blockRows) { first, block in
            try writer.append(inference.apply(block, normalizingOutput: dimension != nil))
            display.update(rateLine("applied", done: first + block.rows, total: file.rowCount, unit: "rows", since: start))
        }
        try writer.finish()
        display.message("wrote \(file.rowCount) × \(width) to \(output)")
    }
}
