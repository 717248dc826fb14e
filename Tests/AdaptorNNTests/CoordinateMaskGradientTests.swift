import AdaptorNN
import EmbeddingMath
import Foundation
import Testing
import _TestSupport

/// SMEC's selection path end to end, by finite differences in Double at a fixed Gumbel noise draw:
/// importances `a` → relaxed top-m mask of `a + g` → `v = y ⊙ mask` → `L_topk`-style similarity loss.
@Suite struct CoordinateMaskGradientTests {
    @Test(arguments: [(3, Float(0.8)), (5, 0.3), (2, 1.5)])
    func importanceAndInputGradientsMatchFiniteDifferences(m: Int, temperature: Float) {
        let d = 8
        let y = Fixtures.randomMatrix(rows: 4, columns: d, seed: 41)
        var g = SeededGenerator(seed: 42)
        let noise = RelaxedTopK.gumbelNoise(count: d, generator: &g)
        let importance: [Float] = [0.5, -0.3, 1.2, 0.1, -1.0, 0.8, 0.0, 0.4]
        let pairs = [(0, 1), (0, 2), (1, 3), (2, 3)]
        let targets: [Float] = [0.7, -0.2, 0.4, 0.1]
        let loss = SimilarityLoss(sizes: MatryoshkaSizes([d], dimension: d))

        let relaxed = RelaxedTopK(scores: zip(importance, noise).map(+), k: m, temperature: temperature)
        let mask = CoordinateMask(weights: relaxed.mask)
        var dv = Matrix(rows: 4, columns: d)
        _ = loss.pairList(outputs: mask.apply(y), pairs: pairs, targets: targets, weight: 1, gradient: &dv)
        let (dy, dmask) = mask.backward(dv, inputs: y)
        let da = relaxed.backward(dmask)

        func reference(_ a: [Double], _ yd: [[Double]]) -> Double {
            let s = zip(a, noise).map { $0 + Double($1) }
            var low = -100.0, high = 100.0
            for _ in 0 ..< 300 {
                let t = (low + high) / 2
                if s.reduce(0, { $0 + 1 / (1 + exp(-($1 - t) / Double(temperature))) }) > Double(m) { low = t } else { high = t }
            }
            let t = (low + high) / 2
            let w = s.map { 1 / (1 + exp(-($0 - t) / Double(temperature))) }
            let v = yd.map { row in zip(row, w).map(*) }
            return DoubleReference.similarityLoss(v, pairs: pairs, targets: targets.map(Double.init), sizes: [d], weight: 1)
        }
        let ad = importance.map(Double.init), yd = y.doubleRows
        for j in 0 ..< d {
            let numeric = centralDifference { e in var a = ad; a[j] += e; return reference(a, yd) }
            #expect(agree(Double(da[j]), numeric, relative: 5e-3, absolute: 2e-4), "importance \(j): \(da[j]) vs \(numeric)")
        }
        expectGradient(dy, matches: { reference(ad, $0) }, at: yd, name: "∂/∂y", relative: 5e-3, absolute: 2e-4)
    }
}
