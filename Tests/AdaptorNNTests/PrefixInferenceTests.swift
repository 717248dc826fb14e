import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct PrefixInferenceTests {
    func model(centering: Bool, rotation: RotationStart, permutation: [Int]?) throws -> AdaptorModel {
        let config = AdaptorConfiguration(inputDimension: 6, hiddenDimension: 5, depth: 2, activation: .tanh,
                                          centering: centering, rotation: rotation)
        var adaptor = try MatryoshkaAdaptor(configuration: config, corpus: Fixtures.randomMatrix(rows: 30, columns: 6, seed: 1),
                                            seed: 2)
        var g = SeededGenerator(seed: 3)
        adaptor.parameters.output = Linear(inputs: 5, outputs: 6, generator: &g)
        return AdaptorModel(adaptor: adaptor, sizes: MatryoshkaSizes([2, 6], dimension: 6), method: "matryoshka-adaptor",
                            training: "{}", dataFingerprint: "", permutation: permutation)
    }

    /// The kept coordinates equal the full forward pass's first m (in the stored order), up to float rounding.
    @Test(arguments: [(true, RotationStart.principalAxes, [4, 1, 0, 5, 3, 2] as [Int]?), (false, .principalAxes, nil),
                      (false, .identity, [2, 0, 1, 3, 4, 5] as [Int]?), (true, .identity, nil)])
    func keptCoordinatesEqualTheFullPass(centering: Bool, rotation: RotationStart, permutation: [Int]?) throws {
        let saved = try model(centering: centering, rotation: rotation, permutation: permutation)
        let x = Fixtures.randomMatrix(rows: 9, columns: 6, seed: 4)
        let full = saved.apply(x)
        for m in [1, 3, 6] {
            let inference = PrefixInference(model: saved, dimension: m)
            #expect(inference.outputDimension == m && inference.inputDimension == 6)
            #expect(maxAbsoluteDifference(inference.apply(x), full.prefix(columns: m)) < 1e-5, "m = \(m)")
        }
    }

    @Test func costCountsOnlyTheKeptRows() throws {
        // d = 6, h = 5, m = 2, two hidden layers: 2 (h d + m d + m h) + 2 h² = 2 (30 + 12 + 10) + 50.
        let inference = PrefixInference(model: try model(centering: false, rotation: .principalAxes, permutation: nil), dimension: 2)
        #expect(inference.flopsPerRow == 154)
    }
}
