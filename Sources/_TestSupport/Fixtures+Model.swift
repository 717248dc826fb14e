import AdaptorNN
import EmbeddingMath

extension Fixtures {
    /// A small model whose every part does something: 6-d in and out, two `tanh` hidden layers of 5, a principal-axes
    /// front map (or the identity), centring when asked, a random (non-zero) output layer and sizes 2 and 6.
    public static func smallModel(centering: Bool = false, rotation: RotationStart = .principalAxes,
                                  permutation: [Int]? = nil) throws -> AdaptorModel {
        let config = AdaptorConfiguration(inputDimension: 6, hiddenDimension: 5, depth: 2, activation: .tanh,
                                          centering: centering, rotation: rotation)
        var adaptor = try MatryoshkaAdaptor(configuration: config, corpus: randomMatrix(rows: 30, columns: 6, seed: 1), seed: 2)
        var generator = SeededGenerator(seed: 3)
        adaptor.parameters.output = Linear(inputs: 5, outputs: 6, generator: &generator)
        return AdaptorModel(adaptor: adaptor, sizes: MatryoshkaSizes([2, 6], dimension: 6), method: "matryoshka-adaptor",
                            training: "{}", dataFingerprint: "", permutation: permutation)
    }
}
