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
        try refuseOutputsOverwritingInputs(outputs: [("--output", output)], inputs: [("--adaptor", adaptor), ("--input", input)])
        let file = try openVectors(input, ids: nil).vectors
        let prepared = try EmbeddingMethod.model(path: adaptor).prepare(dimension: file.dimension, dataName: input)
        let pipeline = try flagged("--dimension") { try prepared.pipeline(dimension: dimension) }
        let display = ProgressDisplay(quiet: quiet)
        let start = ContinuousClock.now
        try pipeline.write(file, to: output, output: dimension == nil ? .transformed : .embeddings, blockRows: blockRows) {
            display.update(rateLine("applied", done: $0, total: $1, unit: "rows", since: start))
        }
        display.message("wrote \(file.rowCount) × \(dimension ?? pipeline.outputDimension) to \(output)")
    }
}
