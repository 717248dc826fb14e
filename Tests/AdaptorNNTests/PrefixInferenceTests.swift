import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct PrefixInferenceTests {
    /// The fused pass (the one every caller applies) equals the unfused training forward pass in the stored order,
    /// at every kept size, up to float rounding; normalising inside the tile equals normalising afterwards.
    @Test(arguments: [(true, RotationStart.principalAxes, [4, 1, 0, 5, 3, 2] as [Int]?), (false, .principalAxes, nil),
                      (false, .identity, [2, 0, 1, 3, 4, 5] as [Int]?), (true, .identity, nil)])
    func keptCoordinatesEqualTheTrainingForwardPass(centering: Bool, rotation: RotationStart, permutation: [Int]?) throws {
        let saved = try Fixtures.smallModel(centering: centering, rotation: rotation, permutation: permutation)
        let x = Fixtures.randomMatrix(rows: 9, columns: 6, seed: 4)
        let unfused = saved.adaptor.apply(x).columns(permutation ?? Array(0 ..< 6))
        #expect(maxAbsoluteDifference(saved.apply(x), unfused) < 1e-5, "the model's own apply is the fused pass")
        for m in [1, 3, 6] {
            let inference = PrefixInference(model: saved, dimension: m)
            #expect(inference.outputDimension == m && inference.inputDimension == 6)
            #expect(maxAbsoluteDifference(inference.apply(x), unfused.prefix(columns: m)) < 1e-5, "m = \(m)")
            #expect(inference.applyNormalized(x) == inference.apply(x).normalizedRows(), "m = \(m)")
        }
    }

    @Test func costCountsOnlyTheKeptRows() throws {
        // d = 6, h = 5, m = 2, two hidden layers: 2 (h d + m d + m h) + 2 h² = 2 (30 + 12 + 10) + 50.
        let inference = PrefixInference(model: try Fixtures.smallModel(), dimension: 2)
        #expect(inference.flopsPerRow == 154)
    }
}
