import ArgumentParser
import Matryoshka

/// `matryoshka fit`: train a Matryoshka adaptor and save it as a safetensors model file.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Train a Matryoshka-Adaptor (unsupervised, or supervised in two stages) or Search-Adaptor and save it.",
        discussion: """
        Learns x̂ = P x̃ + f(P x̃) (x̃ the L2-normalised input, P an orthogonal front map, f a residual MLP whose \
        output layer starts at zero) so that the first m coordinates of x̂ keep the cosine similarities of \
        the full original vectors. The unsupervised default distils each anchor's full-dimension ranking of \
        its batch into every size of M, each size weighed by the inverse of the room the untrained adaptor \
        leaves it, with an L1 term keeping the cosines of the sizes it already gets right (--preserve-weight), \
        on inputs centred when the corpus's mean cosine calls for it (--center auto), in two stages: first P \
        itself, kept orthogonal with f at zero, then f on that P (--form); --objective \
        paper is the paper's L_topk + α L_pair + β L_rec (arXiv 2407.20243). Neighbours are mined once over \
        the whole corpus; 10 % of the corpus is held out and the best weights by the --selection signal are \
        kept. Progress goes to standard error.

        With --supervised, stage 1 is unsupervised training with the paper's objective (or --init MODEL) and stage 2 adds the \
        ranking loss γ L_rank on the --train-split judgements (never the test split), with the unsupervised \
        terms over corpus anchors and the training queries; a tenth of the training queries is held out and \
        stage 2 keeps the weights with the best held-out nDCG@10 (mean over M). --method search-adaptor trains \
        the Search-Adaptor baseline (arXiv 2310.08750) on the same judgements.

        Examples:
          matryoshka fit --data data/scifact --out u.safetensors
          matryoshka fit --corpus vectors.npy --out m.safetensors --reduction mean
          matryoshka fit --data data/scifact --supervised --out s.safetensors
          matryoshka fit --data data/scifact --method search-adaptor --out sa.safetensors
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

    @Option(help: "What to train: matryoshka-adaptor, search-adaptor (the supervised baseline) or smec (arXiv 2510.12474).")
    var method: FitOptions.Method = .matryoshkaAdaptor

    @Flag(help: "Two-stage supervised training on the --train-split judgements.")
    var supervised = false

    @Option(help: "The qrels split that trains supervised models (test is refused).")
    var trainSplit: String = "train"

    @Option(name: .customLong("init"), help: ArgumentHelp("Start stage 2 from this saved stage-1 model.", valueName: "MODEL"))
    var initialModel: String?

    @OptionGroup(title: "Queries from other files") var queryOverride: QueryOverrideOptions
    @OptionGroup(title: "Architecture") var architecture: ArchitectureOptions
    @OptionGroup(title: "Objective and optimisation (stage 1)") var objective: UnsupervisedOptions
    @OptionGroup(title: "Supervised stage 2 and Search-Adaptor") var supervision: SupervisedOptions
    @OptionGroup(title: "SMEC") var smec: SMECOptions

    @Option(help: ArgumentHelp("""
        Write the held-out fidelity of every size at every validation to FILE, one JSON object per line \
        ({"iteration", "fidelity": {"m": F_m}, "mean"}; unsupervised fits with --selection fidelity; in a two-stage \
        fit the iterations count on from the first stage's last into the second's).
        """, valueName: "FILE"))
    var fidelityLog: String?

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    var quiet = false

    /// The fit these flags describe (checked by the library's own rules).
    func options() throws -> FitOptions {
        var options = FitOptions()
        options.method = method
        options.supervised = supervised
        options.trainSplit = trainSplit
        options.initialModel = initialModel
        architecture.apply(to: &options)
        try objective.apply(to: &options)
        supervision.apply(to: &options)
        smec.apply(to: &options)
        do {
            try options.validate()
        } catch {
            throw ValidationError("--\(error.option): \(error.problem)")
        }
        return options
    }

    func validate() throws {
        guard (data == nil) != (corpus == nil) else {
            throw ValidationError("Give exactly one of --data DIR or --corpus X.npy")
        }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
        let options = try options()
        if options.needsJudgements, data == nil { throw ValidationError("supervised training needs --data DIR with queries and qrels") }
        if fidelityLog != nil, !options.recordsFidelity {
            throw ValidationError("--fidelity-log records unsupervised Matryoshka-Adaptor fits with --selection fidelity")
        }
    }

    func run() throws {
        try threadOptions.run(fit)
    }

    func fit() throws {
        let display = ProgressDisplay(quiet: quiet)
        let options = try options()
        let folder = try data.map { try DatasetLayout(directory: $0, model: model).inputFiles.map { ("--data", Optional($0)) } } ?? []
        try refuseOutputsOverwritingInputs(
            outputs: [("--out", out), ("--fidelity-log", fidelityLog)],
            inputs: [("--corpus", corpus), ("--init", initialModel)] + queryOverride.inputFiles + folder)
        let trainingData: TrainingData
        if options.needsJudgements {
            let dataset = try queryOverride.apply(to: try Dataset.load(directory: data!, model: model))
            let judged = try JudgedTrainingSet(dataset: dataset, split: trainSplit)
            if let warning = judged.warning { display.message(warning) }
            trainingData = .judged(judged)
        } else if let corpus {
            trainingData = .corpus(try openVectors(corpus, ids: nil).vectors)
        } else {
            trainingData = .corpus(try DatasetLayout(directory: data!, model: model).openCorpus().vectors)
        }
        let trained: TrainedAdaptor
        do {
            trained = try options.fit(trainingData, callbacks: TrainingCallbacks(log: display.message, status: { display.update($0) },
                                                                          progress: { display.update($0.line) }))
        } catch let error as FitOptionsError {
            throw ValidationError("--\(error.option): \(error.problem)")
        }
        display.finish()
        try trained.model.save(to: out)
        if let fidelityLog, let trace = trained.fidelityTrace {
            try writeTextFileAtomically(trace.jsonLines, to: fidelityLog)
            display.message("wrote \(fidelityLog)")
        }
        for stage in trained.stages {
            display.message("kept iteration \(stage.bestIteration) of \(stage.iterationsRun) (validation \(stage.bestValidation))")
        }
        display.message("wrote \(out)")
    }
}

extension FitOptions.Method: ExpressibleByArgument {}
