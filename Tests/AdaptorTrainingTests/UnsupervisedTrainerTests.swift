import AdaptorNN
@testable import AdaptorTraining
import EmbeddingIO
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct UnsupervisedTrainerTests {
    let dir = TemporaryDirectory()

    /// A corpus whose information lies in its last 4 coordinates (the first 12 are faint noise), so that
    /// truncation to 4 is poor and an adaptor starting at the identity has something to learn.
    func corpus(rows: Int = 120, columns: Int = 16, seed: UInt64 = 1) -> Matrix {
        var x = Fixtures.randomMatrix(rows: rows, columns: columns, seed: seed)
        for i in 0 ..< rows { for j in 0 ..< columns - 4 { x[i, j] *= 0.1 } }
        return x
    }

    func settings(selection: SelectionSignal = .objective, seed: UInt64 = 7) -> UnsupervisedConfiguration {
        var c = UnsupervisedConfiguration()
        c.neighbours = 4
        c.batchSize = 16
        c.iterations = 40
        c.validationInterval = 10
        c.patience = 100
        c.selection = selection
        c.sizes = [4, 16]
        c.learningRate = 1e-2
        c.seed = seed
        c.form = .residual
        return c
    }

    func train(_ c: UnsupervisedConfiguration, hidden: Int = 8) throws -> TrainingResult {
        try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(
            inputDimension: 16, hiddenDimension: hidden, rotation: .identity)).train(corpus: corpus())
    }

    func save(_ result: TrainingResult, _ name: String) throws -> [UInt8] {
        let path = dir.file(name)
        try AdaptorModel(adaptor: result.adaptor, sizes: result.sizes, method: "matryoshka-adaptor",
                         training: result.trainingDescription, dataFingerprint: EmbeddingSet.fingerprint(corpus()))
            .save(to: path)
        return Fixtures.bytes(of: path) ?? []
    }

    @Test func sameSeedWritesByteIdenticalModelFiles() throws {
        let first = try save(try train(settings()), "a.safetensors")
        let second = try save(try train(settings()), "b.safetensors")
        #expect(!first.isEmpty && first == second)
        let other = try save(try train(settings(seed: 8)), "c.safetensors")
        #expect(other != first)
    }

    @Test func objectiveSelectionLowersTheHeldOutObjective() throws {
        let result = try train(settings())
        let stage = result.stages[0]
        #expect(stage.iterationsRun == 40)
        #expect(stage.bestIteration > 0, "training improved on the starting weights")
        #expect(result.adaptor.parameters.output.weight.storage.contains { $0 != 0 })
        #expect(result.trainingDescription.contains(#""best_iteration":\#(stage.bestIteration)"#))
    }

    @Test func fidelitySelectionKeepsTheBestRetrievalSignal() throws {
        var c = settings(selection: .fidelity)
        c.patience = 20
        let result = try train(c)
        let stage = result.stages[0]
        #expect(stage.bestValidation > 0 && stage.bestValidation <= 1)
        #expect(stage.iterationsRun <= 40 && stage.iterationsRun - stage.bestIteration <= 20 || stage.iterationsRun == 40)
    }

    @Test func progressIsReportedAtValidations() throws {
        var reports: [TrainingProgress] = []
        _ = try UnsupervisedTrainer(configuration: settings(), adaptorConfiguration: AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8))
            .train(corpus: corpus(), progress: { reports.append($0) })
        #expect(reports.map(\.iteration).filter { $0 % 10 == 0 } == [10, 20, 30, 40])
        #expect(reports.last!.losses.map(\.name) == ["dist", "keep", "rec", "total"], "the default distils with the preservation term")
        #expect(reports.last!.line.contains("unsupervised it 40/40"))
    }

    /// The default records its two label-free decisions: the centring signal and the headroom size weights
    /// (the size with the most room weighs 1, none less).
    @Test func defaultRecordsCentringAndSizeWeights() throws {
        var c = settings(selection: .fidelity)
        c.iterations = 10
        var messages: [String] = []
        let result = try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8))
            .train(corpus: corpus(), log: { messages.append($0) })
        #expect(result.trainingDescription.contains(#""centring":{"centred":"#))
        #expect(result.trainingDescription.contains(#""size_weights":[1"#))
        #expect(messages.contains { $0.hasPrefix("mean cosine between corpus documents") })
        #expect(messages.contains { $0.hasPrefix("size weights from the untrained adaptor's held-out fidelity") })
        c.centring = .on
        c.sizeWeighting = .uniform
        let fixed = try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8))
            .train(corpus: corpus())
        #expect(fixed.adaptor.mean != nil)
        #expect(!fixed.trainingDescription.contains("size_weights"))
        #expect(!fixed.trainingDescription.contains(#""centring":{"#))
    }

    /// `--form rotation` trains only the front map and keeps it orthogonal: at every validation the full size
    /// retrieves exactly its own top 10 while the small size moves, the MLP's output stays zero, and every
    /// full-dimension cosine of the kept adaptor's vectors equals the input's.
    @Test func rotationFormKeepsFullDimensionCosinesAndMovesThePrefixes() throws {
        var c = settings(selection: .fidelity)
        c.form = .rotation
        c.centring = .off
        let x = corpus()
        let result = try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8))
            .train(corpus: x)
        let trace = try #require(result.fidelityTrace)
        #expect(trace.points.count == 5)
        #expect(trace.points.allSatisfy { $0.fidelity.last == 1 }, "full-dimension rankings never change")
        #expect(Set(trace.points.map { $0.fidelity[0] }).count > 1, "the m = 4 prefix moves")
        #expect(result.adaptor.parameters.output.weight.storage.allSatisfy { $0 == 0 })
        #expect(result.trainingDescription.contains(#""form":"rotation""#))
        let before = BLAS.matmul(x.normalizedRows(), x.normalizedRows(), transposeB: true)
        let adapted = result.adaptor.apply(x).normalizedRows()
        let after = BLAS.matmul(adapted, adapted, transposeB: true)
        let worst = zip(before.storage, after.storage).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "full-dimension cosines moved by \(worst)")
        #expect(throws: TrainingError.rotationFormNeedsFrontMap) {
            try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(
                inputDimension: 16, hiddenDimension: 8, rotation: .identity)).train(corpus: x)
        }
    }

    /// `--form rotation-then-residual`: stage 1 is the rotation form on its own schedule (capped by the configured
    /// one), and its kept front map
    /// (orthogonal, bit for bit the rotation form's) is the frozen start of the residual stage; the model file
    /// records both stages, and the fidelity trace counts iterations on across them.
    @Test func rotationThenResidualTrainsTheFrontMapThenTheMLPOnIt() throws {
        var c = settings(selection: .fidelity)
        c.form = .rotationThenResidual
        c.centring = .off
        let x = corpus()
        let architecture = AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8)
        let result = try UnsupervisedTrainer(configuration: c, adaptorConfiguration: architecture).train(corpus: x)
        var r = c
        r.form = .rotation
        r.iterations = min(UnsupervisedConfiguration.rotationIterations, c.iterations)
        r.patience = min(UnsupervisedConfiguration.rotationPatience, c.patience)
        let rotationOnly = try UnsupervisedTrainer(configuration: r, adaptorConfiguration: architecture).train(corpus: x)

        #expect(result.stages.count == 2)
        #expect(result.stages[0] == rotationOnly.stages[0])
        let p = try #require(result.adaptor.parameters.rotation)
        #expect(p.storage == rotationOnly.adaptor.parameters.rotation?.storage, "the residual stage keeps the front map")
        let identity = BLAS.matmul(p, p, transposeB: true)
        let worst = (0 ..< 16).flatMap { i in (0 ..< 16).map { j in abs(identity[i, j] - (i == j ? 1 : 0)) } }.max() ?? 1
        #expect(worst < 1e-4, "the front map is orthogonal (largest error \(worst))")
        #expect(!result.adaptor.configuration.trainRotation)
        #expect(result.trainingDescription.contains(#""rotation":{"#) && result.trainingDescription.contains(#""residual":{"#))
        let iterations = try #require(result.fidelityTrace).points.map(\.iteration)
        #expect(iterations == iterations.sorted() && Set(iterations).count == iterations.count)
        #expect(iterations.last == result.stages[0].iterationsRun + result.stages[1].iterationsRun)
    }

    @Test func tooSmallACorpusIsAnError() {
        var c = settings()
        c.neighbours = 10
        #expect(throws: TrainingError.tooFewDocuments(count: 8, needed: 12)) {
            try UnsupervisedTrainer(configuration: c, adaptorConfiguration: AdaptorConfiguration(inputDimension: 16))
                .train(corpus: Fixtures.randomMatrix(rows: 8, columns: 16, seed: 1))
        }
    }

    @Test func neighboursExcludeSelfAndMatchBruteForce() {
        let x = corpus(rows: 50)
        let k = 5
        let mined = mineNeighbours(corpus: x, k: k)
        let n = x.normalizedRows()
        for i in 0 ..< 50 {
            let scores = (0 ..< 50).map { j in (0 ..< 16).reduce(0.0) { $0 + Double(n[i, $1]) * Double(n[j, $1]) } }
            let expected = (0 ..< 50).filter { $0 != i }.sorted { scores[$0] > scores[$1] }.prefix(k)
            #expect(Set(mined[i * k ..< (i + 1) * k].map(Int.init)) == Set(expected))
        }
    }
}
