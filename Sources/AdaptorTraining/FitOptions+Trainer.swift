import EmbeddingMath
import AdaptorNN

extension FitOptions {
    /// Checks every option that does not depend on the data: ranges, and which options go with which method.
    public func validate() throws(FitOptionsError) {
        func require(_ condition: Bool, _ option: String, _ problem: String) throws(FitOptionsError) {
            if !condition { throw FitOptionsError(option, problem) }
        }
        try require(depth >= 1, "depth", "must be at least 1, got \(depth)")
        try require(hidden.map { $0 >= 1 } ?? true, "hidden", "must be positive, got \(hidden ?? 0)")
        try require(neighbours >= 1, "k", "must be at least 1, got \(neighbours)")
        try require(batchSize >= 2, "batch-size", "must be at least 2, got \(batchSize)")
        try require(iterations ?? 1 >= 1 && patience ?? 1 >= 1 && validationInterval >= 1, "iterations",
                    "iterations, patience and the validation interval must be positive")
        try require(learningRate > 0, "learning-rate", "must be positive")
        try require(headroomFloor > 0 && headroomFloor <= 1, "headroom-floor", "must be in (0, 1], got \(headroomFloor)")
        try require(preserveWeight.map { $0 >= 0 && $0.isFinite } ?? true, "preserve-weight",
                    "must be a finite number ≥ 0, got \(preserveWeight ?? 0)")
        try require(sizes.map { !$0.isEmpty && $0.allSatisfy { $0 >= 1 } } ?? true, "sizes", "must be positive sizes")
        try require(anchors.map { $0 >= 1 } ?? true, "anchors", "must be positive, got \(anchors ?? 0)")
        try require(miningDimension.map { $0 >= 1 } ?? true, "mining-dimension", "must be positive")
        try require(miningShortlist >= neighbours, "mining-shortlist",
                    "\(miningShortlist) must be at least k (\(neighbours))")
        try require(queryBatchSize >= 1 && documentAnchors >= 0 && randomNegatives >= 0 && hardNegatives >= 0,
                    "query-batch-size", "batch and candidate counts must be non-negative (query batch at least 1)")
        try require(stage2Iterations >= 1 && stage2Patience >= 1 && stage2ValidationInterval >= 1 && stage2LearningRate > 0,
                    "stage2-iterations",
                    "stage-2 iterations, patience, validation interval and learning rate must be positive")
        try require(memorySize >= 1 && memoryNeighbours >= 1, "memory-size", "the memory size and neighbours must be positive")
        let unsupervisedAdaptor = method == .matryoshkaAdaptor && !supervised
        try require(!(method == .smec && initialModel != nil), "init", "starts the two-stage Matryoshka-Adaptor's stage 2, not smec")
        try require(initialModel == nil || supervised, "init", "starts stage 2 and needs a supervised fit")
        try require(center != .auto || unsupervisedAdaptor, "center",
                    "auto decides centring for unsupervised Matryoshka-Adaptor fits; use on or off here")
        try require(form == nil || form == .residual || unsupervisedAdaptor, "form",
                    "\(form?.rawValue ?? "") is for unsupervised Matryoshka-Adaptor fits; supervised stage 1 and smec train the residual MLP")
        try require(!needsJudgements || trainSplit != "test", "train-split",
                    "test would train on the judgements used for scoring; use train (or another split)")
        try require(precision.map(\.needsCalibration) ?? true, "precision",
                    "aims the fit at int8, int4, int2 or binary codes; float32 and float16 need no code stage")
        try require(precision == nil || (method == .matryoshkaAdaptor && rotation == .principalAxes), "precision",
                    "rotates the Matryoshka-Adaptor's front map for its codes: it needs --method matryoshka-adaptor "
                    + "and --rotation principal-axes")
    }

    /// The trainer these options describe for `d`-dimensional vectors (options checked, the initial model loaded).
    ///
    /// - Throws: ``FitOptionsError`` for an option that does not fit `d` or the method; a model file's error for
    ///   ``initialModel``.
    public func trainer(dimension d: Int) throws -> any AdaptorTrainer {
        try validate()
        let architecture = adaptorConfiguration(dimension: d)
        if needsJudgements {
            let settings = supervisedConfiguration(stage1: try unsupervisedConfiguration(dimension: d, base: .paperDefaults))
            switch method {
            case .smec:
                return SMECTrainer(configuration: smecConfiguration(unsupervised: settings.stage1, supervised: settings),
                                   adaptorConfiguration: architecture)
            case .searchAdaptor:
                return SearchAdaptorTrainer(configuration: settings, adaptorConfiguration: architecture)
            case .matryoshkaAdaptor:
                var initial: MatryoshkaAdaptor?
                if let initialModel {
                    let loaded = try AdaptorModel.load(initialModel)
                    guard loaded.inputDimension == d else {
                        throw FitOptionsError("init", "\(initialModel) takes \(loaded.inputDimension)-d vectors; the data holds \(d)-d vectors")
                    }
                    initial = loaded.adaptor
                }
                return SupervisedTrainer(configuration: settings, adaptorConfiguration: architecture, initial: initial)
            }
        }
        if method == .smec {
            return SMECTrainer(configuration: smecConfiguration(
                                   unsupervised: try unsupervisedConfiguration(dimension: d, base: .paperDefaults), supervised: nil),
                               adaptorConfiguration: architecture)
        }
        var configuration = try unsupervisedConfiguration(dimension: d, center: center)
        // The paper's identity start has no front map to rotate: it trains the residual unless told otherwise.
        if rotation == .identity, form == nil { configuration.form = .residual }
        return UnsupervisedTrainer(configuration: configuration, adaptorConfiguration: architecture)
    }

    /// Trains on `data` with the trainer these options describe: ``trainer(dimension:)`` then
    /// ``AdaptorTrainer/train(_:callbacks:)``.
    public func fit(_ data: TrainingData, callbacks: TrainingCallbacks = .none) throws -> TrainedAdaptor {
        var trained = try trainer(dimension: data.dimension).train(data, callbacks: callbacks)
        callbacks.status?("calibrating the codes")
        let corpus: any RowSource = switch data {
        case let .corpus(source): source
        case let .judged(set): set.corpus
        }
        if let precision {
            callbacks.status?("rotating each segment for \(precision.rawValue) codes")
            let choice = try CodeRotation.choose(for: trained.model, precision: precision, corpus: corpus)
            callbacks.log?(choice.summary)
            trained.model = choice.model
        }
        trained.model.calibration = try CodeCalibration.of(trained.model, corpus: corpus)
        return trained
    }

    /// The architecture for `d`-dimensional vectors.
    public func adaptorConfiguration(dimension d: Int) -> AdaptorConfiguration {
        AdaptorConfiguration(inputDimension: d, hiddenDimension: hidden ?? d, depth: depth, activation: activation,
                             centering: center == .on, rotation: rotation, trainRotation: trainRotation)
    }

    /// The unsupervised settings: `base` (the unsupervised defaults, or the paper's for supervised stage 1 and
    /// SMEC) with the options applied; choosing the other objective brings its schedule.
    public func unsupervisedConfiguration(dimension d: Int, base: UnsupervisedConfiguration = UnsupervisedConfiguration(),
                                          center: CentringChoice? = nil) throws(FitOptionsError) -> UnsupervisedConfiguration {
        var c = base
        if let sizes {
            if let bad = sizes.first(where: { $0 > d }) { throw FitOptionsError("sizes", "\(bad) exceeds the vector dimension \(d)") }
            c.sizes = sizes
        }
        c.reduction = reduction
        c.neighbours = neighbours
        c.alpha = alpha
        c.beta = beta
        c.batchSize = batchSize
        c.learningRate = learningRate
        if let objective, objective != c.objective {
            // The schedule goes with the objective: the paper's keeps its own budget and patience.
            let schedule = objective == .paper ? UnsupervisedConfiguration.paperDefaults : UnsupervisedConfiguration()
            c.objective = objective
            c.iterations = schedule.iterations
            c.patience = schedule.patience
            c.preserveWeight = schedule.preserveWeight
            c.patienceFromTrainedWeights = schedule.patienceFromTrainedWeights
            // The paper's objective trains the paper's residual (unless the form is given).
            if objective == .paper { c.form = .residual }
        }
        if let form, form != c.form {
            c.form = form
            if form == .rotation {
                // A rotation's held-out fidelity rises from the first steps and levels off within a few hundred.
                c.iterations = UnsupervisedConfiguration.rotationIterations
                c.patience = UnsupervisedConfiguration.rotationPatience
            }
        }
        if let iterations { c.iterations = iterations }
        if let patience { c.patience = patience }
        c.validationInterval = validationInterval
        c.selection = selection
        if let sizeWeighting { c.sizeWeighting = sizeWeighting }
        c.headroomFloor = headroomFloor
        if let preserveWeight { c.preserveWeight = preserveWeight }
        if c.preserveWeight > 0, c.objective != .distill {
            throw FitOptionsError("preserve-weight", "belongs to the distill objective (this fit uses \(c.objective.rawValue))")
        }
        if let center { c.centring = center }
        c.distillationTemperature = distillationTemperature
        c.seed = seed
        c.anchors = anchors
        if let miningDimension {
            guard miningDimension <= d else {
                throw FitOptionsError("mining-dimension", "\(miningDimension) exceeds the vector dimension \(d)")
            }
            c.miningDimension = miningDimension
        }
        c.miningShortlist = miningShortlist
        return c
    }

    /// The supervised (stage 2 and Search-Adaptor) settings over `stage1`.
    public func supervisedConfiguration(stage1: UnsupervisedConfiguration) -> SupervisedConfiguration {
        var c = SupervisedConfiguration()
        c.stage1 = stage1
        c.gamma = gamma
        c.stage2Reduction = stage2Reduction
        c.queryBatchSize = queryBatchSize
        c.documentAnchors = documentAnchors
        c.randomNegatives = randomNegatives
        c.hardNegatives = hardNegatives
        c.iterations = stage2Iterations
        c.patience = stage2Patience
        c.validationInterval = stage2ValidationInterval
        c.learningRate = stage2LearningRate
        c.searchAdaptorRecovery = recoveryWeight
        c.searchAdaptorPrediction = predictionWeight
        c.trainSplit = trainSplit
        c.seed = stage1.seed
        return c
    }

    /// The SMEC settings over the unsupervised (and, supervised, the stage-2) ones.
    public func smecConfiguration(unsupervised: UnsupervisedConfiguration, supervised: SupervisedConfiguration?) -> SMECConfiguration {
        var c = SMECConfiguration()
        c.unsupervised = unsupervised
        c.supervised = supervised
        c.sequential = sequential
        c.adaptiveSelection = adaptiveSelection
        c.crossBatchMemory = crossBatchMemory
        c.memorySize = memorySize
        c.memoryNeighbours = memoryNeighbours
        c.importanceLearningRate = importanceLearningRate
        c.iterations = unsupervised.iterations
        c.patience = unsupervised.patience
        return c
    }
}
