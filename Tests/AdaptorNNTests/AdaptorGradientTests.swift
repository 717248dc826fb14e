import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

/// Finite-difference checks (in Double) of the adaptor's hand-written backward pass: for a loss
/// `L = Σ G ⊙ x̂ + Σ H ⊙ f` with fixed random `G`, `H`, every parameter's gradient.
@Suite struct AdaptorGradientTests {
    static let configurations: [(depth: Int, activation: Activation, rotation: RotationStart, trainRotation: Bool)] = [
        (1, .relu, .identity, false), (1, .tanh, .principalAxes, true), (2, .gelu, .principalAxes, false),
        (2, .silu, .identity, false), (1, .relu, .principalAxes, true),
    ]

    @Test(arguments: configurations)
    func backwardMatchesFiniteDifferences(depth: Int, activation: Activation, rotation: RotationStart, trainRotation: Bool) throws {
        let d = 6, n = 4
        let config = AdaptorConfiguration(inputDimension: d, hiddenDimension: 5, depth: depth, activation: activation,
                                          rotation: rotation, trainRotation: trainRotation)
        var adaptor = try MatryoshkaAdaptor(configuration: config, corpus: Fixtures.randomMatrix(rows: 30, columns: d, seed: 1), seed: 2)
        // A non-zero output layer, so that every path carries gradient.
        adaptor.parameters.output = Linear(inputs: 5, outputs: d, generator: &Self.generator)
        let x = adaptor.preprocess(Fixtures.randomMatrix(rows: n, columns: d, seed: 3))
        let g = Fixtures.randomMatrix(rows: n, columns: d, seed: 4)
        let h = Fixtures.randomMatrix(rows: n, columns: d, seed: 5)
        let forward = adaptor.forward(rotated: adaptor.rotate(x))
        let gradient = adaptor.backward(forward, outputGradient: g, residualGradient: h, preprocessed: x)

        func loss(_ p: AdaptorParameters) -> Double {
            (0 ..< n).reduce(0.0) { total, i in
                let (out, res) = DoubleReference.adaptor(p, activation, x.row(i).map(Double.init))
                return total + (0 ..< d).reduce(0.0) { $0 + Double(g[i, $1]) * out[$1] + Double(h[i, $1]) * res[$1] }
            }
        }
        #expect(agree((0 ..< n).reduce(0.0) { t, i in t + (0 ..< d).reduce(0.0) { $0 + Double(g[i, $1] * forward.output[i, $1] + h[i, $1] * forward.residual[i, $1]) } },
                      loss(adaptor.parameters), relative: 1e-4))
        for path in adaptor.parameters.tensorPaths(includeRotation: trainRotation) {
            for index in adaptor.parameters[keyPath: path].indices {
                let numeric = centralDifference(1e-3) { e in
                    var moved = adaptor.parameters
                    moved[keyPath: path][index] += Float(e)
                    return loss(moved)
                }
                let analytic = Double(gradient[keyPath: path][index])
                #expect(agree(analytic, numeric, relative: 5e-3, absolute: 5e-4), "\(path)[\(index)]: \(analytic) vs \(numeric)")
            }
        }
    }

    /// With the output layer at zero (a fresh adaptor), the front-map-only passes give the full passes' output and
    /// front-map gradient, bit for bit.
    @Test func frontMapPassesMatchTheFullPassesWhenTheOutputLayerIsZero() throws {
        let d = 6, n = 4
        let config = AdaptorConfiguration(inputDimension: d, hiddenDimension: 5, trainRotation: true)
        let adaptor = try MatryoshkaAdaptor(configuration: config, corpus: Fixtures.randomMatrix(rows: 30, columns: d, seed: 1), seed: 2)
        let x = adaptor.preprocess(Fixtures.randomMatrix(rows: n, columns: d, seed: 3))
        let g = Fixtures.randomMatrix(rows: n, columns: d, seed: 4)
        let z = adaptor.rotate(x)
        let full = adaptor.forward(rotated: z)
        let short = adaptor.frontMapForward(rotated: z)
        #expect(short.output == full.output && short.residual == full.residual)
        let fullGradient = adaptor.backward(full, outputGradient: g, residualGradient: nil, preprocessed: x)
        #expect(adaptor.frontMapBackward(outputGradient: g, preprocessed: x).rotation == fullGradient.rotation)
    }

    nonisolated(unsafe) static var generator = SeededGenerator(seed: 99)
}
