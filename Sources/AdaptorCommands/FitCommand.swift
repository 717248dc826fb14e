import AdaptorNN
import AdaptorTraining
import ArgumentParser
import RetrievalEvaluation
import EmbeddingIO
import EmbeddingMath

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
    var method: FitMethod = .matryoshkaAdaptor

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

    func validate() throws {
        guard (data == nil) != (corpus == nil) else {
            throw ValidationError("Give exactly one of --data DIR or --corpus X.npy")
        }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
        let needsJudgements = supervised || method == .searchAdaptor
        if method == .smec, initialModel != nil { throw ValidationError("--init is for the two-stage Matryoshka-Adaptor, not smec") }
        if needsJudgements, data == nil { throw ValidationError("supervised training needs --data DIR with queries and qrels") }
        if initialModel != nil, !supervised { throw ValidationError("--init starts stage 2 and needs --supervised") }
        if architecture.center == .auto, supervised || method != .matryoshkaAdaptor {
            throw ValidationError("--center auto decides centring for unsupervised Matryoshka-Adaptor fits; use on or off here")
        }
        if let form = objective.form, form != .residual, supervised || method != .matryoshkaAdaptor {
            throw ValidationError("--form \(form.rawValue) is for unsupervised Matryoshka-Adaptor fits; supervised stage 1 and smec train the residual MLP")
        }
        if fidelityLog != nil, supervised || method != .matryoshkaAdaptor || objective.selection != .fidelity {
            throw ValidationError("--fidelity-log records unsupervised Matryoshka-Adaptor fits with --selection fidelity")
        }
        if needsJudgements, trainSplit == "test" {
            throw ValidationError("--train-split test would train on the judgements used for scoring; use train (or another split)")
        }
    }

    func run() throws {
        try threadOptions.run(fit)
    }

    func fit() throws {
        let display = ProgressDisplay(quiet: quiet)
        let result: TrainingResult
        let fingerprint: String
        var order: [Int]?
        if supervised || method == .searchAdaptor {
            let dataset = try queryOverride.apply(to: try Dataset.load(directory: data!, model: model))
            let queries = try dataset.requireQueries()
            let qrels = try dataset.qrels(split: trainSplit)
            let resolved = ResolvedJudgements(qrels: qrels, queryIds: queries.ids, corpusIds: dataset.corpus.ids)
            if let warning = resolved.warning(qrelsPath: qrels.path) { display.message(warning) }
            let d = dataset.corpus.dimension
            let settings = supervision.configuration(
                stage1: try objective.configuration(dimension: d, base: .paperDefaults), trainSplit: trainSplit)
            if method == .smec {
                let smecResult = try SMECTrainer(
                    configuration: smec.configuration(unsupervised: settings.stage1, supervised: settings),
                    adaptorConfiguration: architecture.configuration(dimension: d))
                    .train(corpus: dataset.corpus.vectors, queries: queries.vectors, judgements: resolved.queries,
                           log: display.message, progress: { display.update($0.line) })
                result = smecResult.training
                order = smecResult.order
            } else if method == .searchAdaptor {
                result = try SearchAdaptorTrainer(configuration: settings, adaptorConfiguration: architecture.configuration(dimension: d))
                    .train(corpus: dataset.corpus.vectors, queries: queries.vectors, judgements: resolved.queries,
                           progress: { display.update($0.line) })
            } else {
                var initial: MatryoshkaAdaptor?
                if let initialModel {
                    let loaded = try AdaptorModel.load(initialModel)
                    try loaded.checkInputDimension(d, of: dataset.corpus.vectorsPath, modelPath: initialModel)
                    initial = loaded.adaptor
                }
                result = try SupervisedTrainer(configuration: settings, adaptorConfiguration: architecture.configuration(dimension: d))
                    .train(corpus: dataset.corpus.vectors, queries: queries.vectors, judgements: resolved.queries,
                           initial: initial, log: display.message, status: { display.update($0) },
                           progress: { display.update($0.line) })
            }
            var hash = SHA256()
            hash.update(Array(EmbeddingSet.fingerprint(dataset.corpus.vectors).utf8))
            hash.update(Array(EmbeddingSet.fingerprint(queries.vectors).utf8))
            hash.update(Array(qrels.canonicalText.utf8))
            fingerprint = hash.hexDigest()
        } else if method == .smec {
            let source = try corpusSource()
            let smecResult = try SMECTrainer(
                configuration: smec.configuration(
                    unsupervised: try objective.configuration(dimension: source.dimension, base: .paperDefaults),
                    supervised: nil),
                adaptorConfiguration: architecture.configuration(dimension: source.dimension))
                .train(corpus: source, log: display.message, status: { display.update($0) },
                       progress: { display.update($0.line) })
            result = smecResult.training
            order = smecResult.order
            fingerprint = smecResult.training.dataFingerprint!
        } else {
            let source = try corpusSource()
            var configuration = try objective.configuration(dimension: source.dimension, center: architecture.center)
            // The paper's identity start has no front map to rotate: it trains the residual unless told otherwise.
            if architecture.rotation == .identity, objective.form == nil { configuration.form = .residual }
            let trainer = UnsupervisedTrainer(configuration: configuration,
                                              adaptorConfiguration: architecture.configuration(dimension: source.dimension))
            result = try trainer.train(corpus: source, log: display.message, status: { display.update($0) },
                                       progress: { display.update($0.line) })
            fingerprint = result.dataFingerprint!
        }
        display.finish()
        let saved = AdaptorModel(adaptor: result.adaptor, sizes: result.sizes, method: method.rawValue,
                                 training: result.trainingDescription, dataFingerprint: fingerprint,
                                 permutation: order == Array(0 ..< result.adaptor.outputDimension) ? nil : order)
        try saved.save(to: out)
        if let fidelityLog, let trace = result.fidelityTrace {
            try writeTextFileAtomically(trace.jsonLines, to: fidelityLog)
            display.message("wrote \(fidelityLog)")
        }
        for stage in result.stages {
            display.message("kept iteration \(stage.bestIteration) of \(stage.iterationsRun) (validation \(stage.bestValidation))")
        }
        display.message("wrote \(out)")
    }

    /// The training vectors as a file read in blocks (rows checked as they are read): `--corpus`, or the data
    /// set's corpus vectors (whose id list must have one id per row).
    func corpusSource() throws -> NpyFile {
        if let corpus { return try openVectors(corpus, ids: nil).vectors }
        return try DatasetLayout(directory: data!, model: model).openCorpus().vectors
    }
}

/// What `fit` trains.
enum FitMethod: String, ExpressibleByArgument, CaseIterable {
    case matryoshkaAdaptor = "matryoshka-adaptor"
    case searchAdaptor = "search-adaptor"
    case smec
}
