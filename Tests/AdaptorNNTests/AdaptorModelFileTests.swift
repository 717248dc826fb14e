import AdaptorNN
import EmbeddingIO
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct AdaptorModelFileTests {
    let dir = TemporaryDirectory()

    func model(centering: Bool = true, rotation: RotationStart = .principalAxes, permutation: [Int]? = nil) throws -> AdaptorModel {
        let config = AdaptorConfiguration(inputDimension: 6, hiddenDimension: 4, depth: 2, activation: .gelu,
                                          centering: centering, rotation: rotation)
        var adaptor = try MatryoshkaAdaptor(configuration: config, corpus: Fixtures.randomMatrix(rows: 20, columns: 6, seed: 1), seed: 3)
        var g = SeededGenerator(seed: 4)
        adaptor.parameters.output = Linear(inputs: 4, outputs: 6, generator: &g)
        return AdaptorModel(adaptor: adaptor, sizes: MatryoshkaSizes([2, 4, 6], dimension: 6), method: "matryoshka-adaptor",
                            training: #"{"k":10}"#, dataFingerprint: "abc", permutation: permutation)
    }

    @Test(arguments: [(true, RotationStart.principalAxes), (false, .identity)])
    func roundTripRestoresEverything(centering: Bool, rotation: RotationStart) throws {
        let original = try model(centering: centering, rotation: rotation, permutation: [5, 4, 3, 2, 1, 0])
        let path = dir.file("m.safetensors")
        try original.save(to: path)
        let loaded = try AdaptorModel.load(path)
        #expect(loaded.adaptor.parameters == original.adaptor.parameters)
        #expect(loaded.adaptor.configuration == original.adaptor.configuration)
        #expect(loaded.adaptor.mean == original.adaptor.mean && loaded.permutation == original.permutation)
        #expect(loaded.sizes == original.sizes && loaded.training == original.training && loaded.dataFingerprint == "abc")
        let x = Fixtures.randomMatrix(rows: 3, columns: 6, seed: 5)
        #expect(loaded.apply(x) == original.apply(x))
        #expect(loaded.apply(x).row(0)[0] == original.adaptor.apply(x).row(0)[5], "the stored order is applied")
    }

    @Test func metadataNamesTheConfiguration() throws {
        let path = dir.file("meta.safetensors")
        try model().save(to: path)
        let (_, metadata) = try Safetensors.read(path)
        #expect(metadata["input_dimension"] == "6" && metadata["hidden_dimension"] == "4" && metadata["activation"] == "gelu")
        #expect(metadata["normalization"] == "l2,center" && metadata["matryoshka_sizes"] == "2,4,6")
        #expect(metadata["library_version"] == matryoshkaLibraryVersion && metadata["data_fingerprint"] == "abc")
        #expect(metadata["training"] == #"{"k":10}"# && metadata["rotation"] == "principal-axes,frozen")
    }

    @Test func wrongShapesAndMissingTensorsAreNamed() throws {
        let path = dir.file("bad.safetensors")
        try model().save(to: path)
        var (tensors, metadata) = try Safetensors.read(path)
        tensors["hidden.1.weight"] = SafetensorsTensor(shape: [4, 5], values: .float32([Float](repeating: 0, count: 20)))
        try Safetensors.write(tensors, metadata: metadata, to: path)
        #expect(throws: AdaptorModelError.shapeMismatch(path: path, name: "hidden.1.weight", expected: [4, 4], actual: [4, 5])) {
            try AdaptorModel.load(path)
        }
        tensors["hidden.1.weight"] = nil
        try Safetensors.write(tensors, metadata: metadata, to: path)
        #expect(throws: AdaptorModelError.missingTensor(path: path, name: "hidden.1.weight")) { try AdaptorModel.load(path) }
        metadata["format"] = "something-else"
        try Safetensors.write(tensors, metadata: metadata, to: path)
        do {
            _ = try AdaptorModel.load(path)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("\(path): not a usable adaptor model: metadata 'format' is 'something-else'"))
        }
    }

    @Test func inputDimensionMismatchIsRejected() throws {
        let m = try model()
        #expect(throws: AdaptorModelError.dimensionMismatch(modelPath: "m.safetensors", modelDimension: 6,
                                                            dataPath: "x.npy", dataDimension: 8)) {
            try m.checkInputDimension(8, of: "x.npy", modelPath: "m.safetensors")
        }
        try m.checkInputDimension(6, of: "x.npy", modelPath: "m.safetensors")
    }

    @Test func freshAdaptorStartsAtTheFrontMap() throws {
        let corpus = Fixtures.randomMatrix(rows: 40, columns: 8, seed: 6)
        let identity = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 8, rotation: .identity),
                                             corpus: corpus, seed: 1)
        #expect(identity.apply(corpus) == corpus.normalizedRows())
        // The principal-axes map is orthogonal: every full-dimension cosine is kept.
        let rotated = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 8), corpus: corpus, seed: 1)
        let y = rotated.apply(corpus)
        let before = BLAS.matmul(corpus.normalizedRows(), corpus.normalizedRows(), transposeB: true)
        let after = BLAS.matmul(y, y, transposeB: true)
        for i in 0 ..< 40 { for j in 0 ..< 40 { #expect(abs(before[i, j] - after[i, j]) < 1e-5) } }
    }
}
