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
        Reads the input .npy in blocks of rows, so files larger than memory work; writes a float32 .npy \
        atomically (the output appears only when complete). Without --dimension the full adapted vectors \
        x̂ are written (not normalised, exactly what the model computes); with --dimension m each row is \
        x̂[:m] / ‖x̂[:m]‖, ready for inner-product search.

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
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if let dimension, dimension < 1 { throw ValidationError("--dimension must be positive, got \(dimension)") }
        guard blockRows >= 1 else { throw ValidationError("--block-rows must be positive") }
    }

    func run() throws {
        let model = try AdaptorModel.load(adaptor)
        let reader = try NpyReader(path: input)
        try model.checkInputDimension(reader.header.columns, of: input, modelPath: adaptor)
        let width = dimension ?? model.outputDimension
        guard width <= model.outputDimension else {
            throw ValidationError("--dimension \(width) exceeds the model's output dimension \(model.outputDimension)")
        }
        let display = ProgressDisplay(quiet: quiet)
        let writer = try NpyWriter(path: output, rows: reader.header.rows, columns: width)
        let start = ContinuousClock.now
        while reader.remainingRows > 0 {
            let first = reader.rowsRead
            let block = try reader.readRows(blockRows)
            try validateRows(block, path: input, firstRow: first)
            let adapted = model.apply(block)
            try writer.append(dimension.map { adapted.normalizedPrefix(columns: $0) } ?? adapted)
            display.update(rateLine("applied", done: reader.rowsRead, total: reader.header.rows, unit: "rows", since: start))
        }
        try writer.finish()
        display.message("wrote \(reader.header.rows) × \(width) to \(output)")
    }
}
