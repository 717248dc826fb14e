import Foundation
import Matryoshka
import Testing
import _TestSupport

/// The library API a Swift user (and the bindings) call: the one road to the size-m embedding, the index that owns
/// it, the method factory, fit options, and evaluation.
@Suite struct LibraryAPITests {
    let dir = TemporaryDirectory()

    /// Embedding at m by the pipeline, and cutting m from the transformed vectors (what evaluation does for many sizes
    /// at once), give the same vectors up to float rounding; both are unit length.
    @Test(arguments: [1, 3, 6])
    func theSizeMEmbeddingIsOneRoad(m: Int) throws {
        let model = try Fixtures.smallModel(centering: true, permutation: [4, 1, 0, 5, 3, 2])
        let x = Fixtures.randomMatrix(rows: 11, columns: 6, seed: 5)
        let pipeline = try EmbeddingPipeline(model, dimension: m)
        let embedded = pipeline(x)
        let cut = EmbeddingPipeline.cut(try EmbeddingPipeline(model).transformed(x), to: m)
        #expect(embedded.columns == m && maxAbsoluteDifference(embedded, cut) < 1e-5)
        #expect(embedded.rowNorms().allSatisfy { abs($0 - 1) < 1e-5 })
        // The unfused training forward pass, cut and normalised: the reference both equal.
        let reference = model.adaptor.apply(x).columns(model.permutation!).normalizedPrefix(columns: m)
        #expect(maxAbsoluteDifference(embedded, reference) < 1e-5)
    }

    /// A row whose size-m embedding has no direction stops `write` with the file and row named, and nothing is
    /// written (the destination keeps what it held).
    @Test func writingRefusesAnEmbeddingWithoutADirection() throws {
        let input = dir.file("x.npy")
        try writeNpy(Matrix([[1, 2, 3, 4], [0, 0, 1, 1], [5, 6, 7, 8]]), to: input)
        let output = dir.write("old\n", to: "y.npy")
        let pipeline = try EmbeddingPipeline(IdentityTransform(dimension: 4), dimension: 2)
        #expect(throws: SourcePipelineError(source: input, error: .noDirection(row: 1, size: 2))) {
            try pipeline.write(try NpyFile(path: input), to: output, blockRows: 1)
        }
        #expect(Fixtures.bytes(of: output) == Array("old\n".utf8))
        #expect("\(SourcePipelineError(source: input, error: .noDirection(row: 1, size: 2)))"
                    == "\(input), row 1: its size-2 embedding is all zeros and has no direction")
    }

    @Test func aSizeOutsideTheOutputIsAnError() throws {
        #expect(throws: PipelineError.sizeOutOfRange(size: 7, outputDimension: 6)) {
            try EmbeddingPipeline(IdentityTransform(dimension: 6), dimension: 7)
        }
        #expect(throws: PipelineError.sizeOutOfRange(size: 0, outputDimension: 6)) {
            try EmbeddingPipeline(IdentityTransform(dimension: 6), dimension: 0)
        }
    }

    /// The index embeds its documents and its queries by the same pipeline: searching raw queries equals exact search
    /// over the pipeline's own embeddings; the funnel over every document equals exact search.
    @Test func theIndexEmbedsQueriesAsItsDocuments() throws {
        let model = try Fixtures.smallModel()
        let corpus = Fixtures.randomMatrix(rows: 40, columns: 6, seed: 6), queries = Fixtures.randomMatrix(rows: 5, columns: 6, seed: 7)
        let pipeline = try EmbeddingPipeline(model, dimension: 4)
        let index = try EmbeddingIndex(corpus: corpus, pipeline: pipeline)
        let expected = FlatIndex(normalizedVectors: pipeline(corpus)).search(pipeline(queries), k: 5)
        #expect(index.search(queries, k: 5).indices == expected.indices)
        #expect(index.search(queries, k: 5, blockRows: 2, progress: nil) == index.search(queries, k: 5))
        let funnel = index.withShortlist(dimension: 2, size: 40)
        #expect(funnel.search(queries, k: 5).indices == expected.indices)
    }

    @Test func methodsAreMadeByOneFactory() throws {
        let path = dir.file("m.safetensors")
        try Fixtures.smallModel().save(to: path)
        let truncation = try EmbeddingMethod(modelPath: nil).prepare(dimension: 6)
        #expect(truncation.fingerprint == "none" && truncation.transform.outputDimension == 6 && truncation.model == nil)
        let model = try EmbeddingMethod(modelPath: path).prepare(dimension: 6)
        #expect(model.fingerprint == (try EmbeddingMethod.fingerprint(ofModelFile: path)) && model.model != nil)
        #expect(model.fingerprint.hasPrefix("sha256:") && model.fingerprint.count == 71)
        #expect(throws: AdaptorModelError.self) { try EmbeddingMethod.model(path: path).prepare(dimension: 8, dataName: "x.npy") }
        #expect(throws: EmbeddingMethodError.pcaNeedsCorpus) { try EmbeddingMethod.pca.prepare(dimension: 6) }
        #expect(throws: EmbeddingMethodError.truncationNeedsDimension) { try EmbeddingMethod.truncation.prepare(dimension: nil) }
        let pca = try EmbeddingMethod.pca.prepare(dimension: 6, corpus: Fixtures.randomMatrix(rows: 30, columns: 6, seed: 8))
        #expect(pca.fingerprint == "pca" && pca.transform is PCATransform)
    }

    /// Options resolve to the trainer of their method, with the method's own schedule; a bad combination is an
    /// error naming the option.
    @Test func fitOptionsMakeTheRightTrainer() throws {
        var options = FitOptions()
        #expect(try options.trainer(dimension: 8) is UnsupervisedTrainer)
        options.method = .searchAdaptor
        #expect(try options.trainer(dimension: 8) is SearchAdaptorTrainer)
        options.method = .smec
        #expect(try options.trainer(dimension: 8).method == "smec")
        options = FitOptions()
        options.supervised = true
        #expect(try options.trainer(dimension: 8) is SupervisedTrainer)
        options.center = .auto
        #expect(throws: FitOptionsError.self) { try options.validate() }
        options = FitOptions()
        options.sizes = [4, 16]
        #expect(throws: FitOptionsError("sizes", "16 exceeds the vector dimension 8")) { try options.trainer(dimension: 8) }
        #expect(throws: TrainingError.needsJudgements(method: "Search-Adaptor")) {
            var judged = FitOptions()
            judged.method = .searchAdaptor
            _ = try judged.fit(.corpus(Fixtures.randomMatrix(rows: 30, columns: 8, seed: 9)))
        }
        options = FitOptions()
        options.precision = .float16
        #expect(throws: FitOptionsError("precision", "aims the fit at int8, int4, int2 or binary codes; float32 and float16 need no code stage")) {
            try options.validate()
        }
        options.precision = .binary
        options.rotation = .identity
        #expect(throws: FitOptionsError.self) { try options.validate() }
        options.rotation = .principalAxes
        options.method = .searchAdaptor
        #expect(throws: FitOptionsError.self) { try options.validate() }
    }

    /// A fit through the library and its evaluation: the model file records the method and the corpus fingerprint,
    /// and judged and label-free metrics come back at every asked size.
    @Test func fitThenEvaluateThroughTheLibrary() throws {
        var corpus = Fixtures.randomMatrix(rows: 60, columns: 8, seed: 10)
        for i in 0 ..< 60 { corpus[i, i % 3] += 2 }
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Fixtures.randomMatrix(rows: 5, columns: 8, seed: 11),
                                               qrels: ["test": [("q0", "d1", 1), ("q1", "d2", 1)]])
        var options = FitOptions()
        options.neighbours = 3
        options.batchSize = 8
        options.iterations = 10
        options.validationInterval = 5
        var logged: [String] = []
        let trained = try options.fit(.corpus(corpus), callbacks: TrainingCallbacks(log: { logged.append($0) }))
        #expect(trained.model.method == "matryoshka-adaptor" && trained.model.dataFingerprint == EmbeddingSet.fingerprint(corpus))
        #expect(!trained.stages.isEmpty && !logged.isEmpty)
        // Every fit stores the codes' calibration (one value per coordinate); it survives the model file.
        #expect(trained.model.calibration?.centre.count == 8)
        // Aimed at binary codes: the code stage runs and reports each size's held-out fidelity through the codes.
        var aimed = options
        aimed.precision = .binary
        logged = []
        let binary = try aimed.fit(.corpus(corpus), callbacks: TrainingCallbacks(log: { logged.append($0) }))
        #expect(logged.contains { $0.hasPrefix("code stage, held-out neighbour-recall@10 through the codes: m=") })
        #expect(binary.model.calibration != nil)
        let path = dir.file("u.safetensors")
        try trained.model.save(to: path)
        var evaluation = Evaluation(judged: try JudgedEvaluation(dataset: try Dataset.load(directory: folder), split: "test"))
        evaluation.sizes = [4, 8]
        evaluation.neighbourSample = 20
        #expect(try AdaptorModel.load(path).calibration == trained.model.calibration)
        let report = try evaluation.run(method: .model(path: path), methodName: "adaptor")
        #expect(report.results.map(\.dimension) == [4, 8] && report.judgedQueries == 2 && report.neighbourQueries == 20)
        #expect(report.results.allSatisfy { $0.judged != nil && $0.neighbourRecall != nil })
        evaluation.sizes = [9]
        #expect(throws: EvaluationError.sizeTooLarge(size: 9, method: "adaptor", outputDimension: 8)) {
            try evaluation.run(method: .model(path: path), methodName: "adaptor")
        }
    }

    /// Options set by name (what the bindings pass) give the same options as set by their properties, and an unknown
    /// name or a value of the wrong kind is an error naming the option.
    @Test func fitOptionsAreSetByTheirCommandLineNames() throws {
        var byName = FitOptions()
        for (name, value) in [("method", "smec"), ("supervised", "true"), ("sizes", "8, 16"), ("learning-rate", "0.01"),
                              ("k", "7"), ("center", "on"), ("iterations", "none"), ("patience", "30"), ("xbm", "false"),
                              ("seed", "12"), ("activation", "gelu"), ("hard-negatives", "4"), ("precision", "binary")] {
            try byName.set(name, to: value)
        }
        var expected = FitOptions()
        expected.method = .smec
        expected.supervised = true
        expected.sizes = [8, 16]
        expected.learningRate = 0.01
        expected.neighbours = 7
        expected.center = .on
        expected.patience = 30
        expected.crossBatchMemory = false
        expected.seed = 12
        expected.activation = .gelu
        expected.hardNegatives = 4
        expected.precision = .binary
        #expect(byName == expected)
        #expect(FitOptions.settingNames.contains("stage2-learning-rate") && FitOptions.settingNames.count == 50)
        #expect(throws: FitOptionsError("learning-rat", "is not a fit option; the options are \(FitOptions.settingNames.joined(separator: ", "))")) {
            try byName.set("learning-rat", to: "1")
        }
        #expect(throws: FitOptionsError("k", "expects an integer, got \"seven\"")) { try byName.set("k", to: "seven") }
        #expect(throws: FitOptionsError("activation", "expects one of relu, gelu, tanh, silu, got \"sigmoid\"")) {
            try byName.set("activation", to: "sigmoid")
        }
        #expect(throws: FitOptionsError("sizes", "expects sizes such as 16,32,64 or none, got \"8,x\"")) { try byName.set("sizes", to: "8,x") }
    }

    /// A raised cancellation flag stops a fit before its next iteration with `Cancelled`; a fit with the flag down
    /// runs as without one.
    @Test func aCancelledFitStopsWithCancelled() throws {
        let corpus = Fixtures.randomMatrix(rows: 60, columns: 8, seed: 12)
        var options = FitOptions()
        options.neighbours = 3
        options.batchSize = 8
        options.iterations = 10
        options.validationInterval = 5
        let flag = CancellationFlag()
        let untouched = try Cancellation.$current.withValue(flag) { try options.fit(.corpus(corpus)) }
        #expect(try untouched.model.fingerprint() == (try options.fit(.corpus(corpus)).model.fingerprint()))
        flag.cancel()
        #expect(throws: Cancelled()) { try Cancellation.$current.withValue(flag) { try options.fit(.corpus(corpus)) } }
        let midway = CancellationFlag()
        var reports = 0
        #expect(throws: Cancelled()) {
            try Cancellation.$current.withValue(midway) {
                try options.fit(.corpus(corpus), callbacks: TrainingCallbacks(progress: { _ in
                    reports += 1
                    midway.cancel()
                }))
            }
        }
        #expect(reports == 1)
    }

    /// A model's fingerprint in memory is the SHA-256 of the file it saves as, and a model in memory evaluates as the
    /// same model read from its file.
    @Test func aModelInMemoryIsNamedAndEvaluatedAsItsFile() throws {
        let model = try Fixtures.smallModel(centering: true, permutation: [4, 1, 0, 5, 3, 2])
        let path = dir.file("m.safetensors")
        try model.save(to: path)
        #expect(try model.fingerprint() == (try EmbeddingMethod.fingerprint(ofModelFile: path)))
        let corpus = Fixtures.randomMatrix(rows: 30, columns: 6, seed: 13)
        let queries = Fixtures.randomMatrix(rows: 4, columns: 6, seed: 14)
        let dataset = Dataset(directory: "", name: "memory", corpus: try EmbeddingSet(vectors: corpus, ids: (0 ..< 30).map { "d\($0)" }),
                              queries: try EmbeddingSet(vectors: queries, ids: ["q0", "q1", "q2", "q3"]))
        let qrels = Qrels(judgements: ["q0": ["d1": 1], "q2": ["d5": 2, "d7": 1]], queryOrder: ["q0", "q2"])
        var evaluation = Evaluation(judged: try JudgedEvaluation(dataset: dataset, qrels: qrels, split: "test"))
        evaluation.sizes = [2, 6]
        evaluation.neighbourSample = 10
        let fromFile = try evaluation.run(method: .model(path: path), methodName: "adaptor")
        let fromMemory = try evaluation.run(prepared: try PreparedMethod(model: model), methodName: "adaptor", modelName: "memory")
        #expect(try fromMemory.jsonString() == (try fromFile.jsonString()))
        #expect(fromMemory.judgedQueries == 2)
    }

    /// The blocks `forEachBlock` hands out are what `write` writes, row numbers counted across blocks.
    @Test func everyWriterSeesTheSameBlocks() throws {
        let model = try Fixtures.smallModel()
        let x = Fixtures.randomMatrix(rows: 9, columns: 6, seed: 15)
        let pipeline = try EmbeddingPipeline(model, dimension: 3)
        var rows: [Float] = [], firsts: [Int] = []
        try pipeline.forEachBlock(of: x, output: .embeddings, blockRows: 4) { first, block in
            firsts.append(first)
            rows += block.storage
        }
        #expect(firsts == [0, 4, 8] && rows == pipeline(x).storage)
        var transformed: [Float] = []
        try pipeline.forEachBlock(of: x, output: .transformed, blockRows: 4) { transformed += $1.storage }
        #expect(transformed == pipeline.transformed(x).storage && pipeline.width(of: .transformed) == 6)
    }
}
