import AdaptorNN
import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath

/// `matryoshka fit`: train a Matryoshka adaptor and save it as a safetensors model file.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Train an unsupervised Matryoshka-Adaptor on corpus vectors and save it.",
        discussion: """
        Learns x̂ = P x̃ + f(P x̃) (x̃ the L2-normalised input, P an orthogonal front map, f a residual MLP whose \
        output layer starts at zero) so that the first m coordinates of x̂ keep the cosine similarities of \
        the full original vectors: the objective L_topk + α L_pair + β L_rec summed over the sizes M \
        (arXiv 2407.20243). Neighbours are mined once over the whole corpus; 10 % of the corpus is held out \
        and its objective drives early stopping; the best weights are kept. Progress goes to standard error.

        Examples:
          matryoshka fit --data data/scifact --out scifact.adaptor.safetensors
          matryoshka fit --corpus vectors.npy --out model.safetensors --reduction mean --iterations 2000
        """
    )

    @Option(help: ArgumentHelp("Data set folder (its corpus vectors are the training data).", valueName: "DIR"))
    var data: String?

    @Option(help: ArgumentHelp("With --data: use DIR/models/NAME's vectors.", valueName: "NAME"))
    var model: String?

    @Option(help: ArgumentHelp("Train on this .npy of corpus vectors alone (instead of --data).", valueName: "X.npy"))
    var corpus: String?

    @Option(help: ArgumentHelp("Where to write the model (safetensors; written atomically).", valueName: "MODEL"))
    var out: String

    @OptionGroup(title: "Architecture") var architecture: ArchitectureOptions
    @OptionGroup(title: "Objective and optimisation") var objective: UnsupervisedOptions

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (data == nil) != (corpus == nil) else {
            throw ValidationError("Give exactly one of --data DIR or --corpus X.npy")
        }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
    }

    func run() throws {
        let vectors = try loadCorpus()
        let display = ProgressDisplay(quiet: quiet)
        let trainer = UnsupervisedTrainer(configuration: try objective.configuration(dimension: vectors.dimension),
                                          adaptorConfiguration: architecture.configuration(dimension: vectors.dimension))
        let result = try trainer.train(corpus: vectors.vectors, log: display.message, progress: { display.update($0.line) })
        display.finish()
        let saved = AdaptorModel(adaptor: result.adaptor, sizes: result.sizes, method: "matryoshka-adaptor",
                                 training: result.trainingDescription,
                                 dataFingerprint: EmbeddingSet.fingerprint(vectors.vectors))
        try saved.save(to: out)
        let stage = result.stages[0]
        display.message("kept iteration \(stage.bestIteration) of \(stage.iterationsRun) "
            + "(validation objective \(stage.bestValidation)); wrote \(out)")
    }

    /// The training vectors: the data set's corpus, or the `--corpus` file checked row by row.
    func loadCorpus() throws -> EmbeddingSet {
        if let data {
            return try Dataset.load(directory: data, model: model).corpus
        }
        let path = corpus!
        let vectors = try readNpy(path)
        let ids = (0 ..< vectors.rows).map(String.init)
        return try EmbeddingSet(vectors: vectors, ids: ids, vectorsPath: path, idsPath: path)
    }
}
