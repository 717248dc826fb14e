import AdaptorNN
import EmbeddingMath
import Foundation
import Testing

/// The Gumbel-Softmax (binary Concrete) top-k relaxation, checked against finite differences in Double at a
/// fixed noise draw.
@Suite struct RelaxedTopKTests {
    /// Double reference of the mask: σ((w - t)/τ) with the threshold t found by bisection so the sum is k.
    func referenceMask(_ w: [Double], _ k: Int, _ tau: Double) -> [Double] {
        var low = -100.0, high = 100.0
        for _ in 0 ..< 300 {
            let t = (low + high) / 2
            if w.reduce(0, { $0 + 1 / (1 + exp(-($1 - t) / tau)) }) > Double(k) { low = t } else { high = t }
        }
        let t = (low + high) / 2
        return w.map { 1 / (1 + exp(-($0 - t) / tau)) }
    }

    @Test(arguments: [(3, Float(1)), (1, 0.5), (5, 2), (4, 0.7)])
    func gradientMatchesFiniteDifferences(k: Int, temperature: Float) {
        var seeded = SeededGenerator(seed: 11)
        let importance: [Float] = [0.3, -0.2, 1.1, 0.0, 0.7, -0.9, 0.4, 0.2]
        let noise = RelaxedTopK.gumbelNoise(count: 8, generator: &seeded)
        let scores = zip(importance, noise).map(+)
        let relaxed = RelaxedTopK(scores: scores, k: k, temperature: temperature)
        let weights: [Float] = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5]
        let analytic = relaxed.backward(weights)
        let reference = referenceMask(scores.map(Double.init), k, Double(temperature))
        #expect(zip(relaxed.mask, reference).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        #expect(abs(relaxed.mask.reduce(0, +) - Float(k)) < 1e-4)
        for j in 0 ..< 8 {
            let eps = 1e-6
            var up = scores.map(Double.init), down = up
            up[j] += eps
            down[j] -= eps
            let f = { (w: [Double]) in zip(self.referenceMask(w, k, Double(temperature)), weights).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
            let numeric = (f(up) - f(down)) / (2 * eps)
            #expect(abs(Double(analytic[j]) - numeric) <= max(1e-4, 2e-3 * abs(numeric)), "coordinate \(j): \(analytic[j]) vs \(numeric)")
        }
    }

    @Test func lowTemperatureSelectsTheLargestScores() {
        let mask = RelaxedTopK(scores: [0.1, 2, -1, 1.5, 0.3], k: 2, temperature: 0.01).mask
        #expect(mask.map { ($0 * 1000).rounded() / 1000 } == [0, 1, 0, 1, 0])
    }

    @Test func largeKStaysFinite() {
        var g = SeededGenerator(seed: 5)
        let scores = (0 ..< 384).map { Float(-$0) / 20 } .enumerated().map { $0.element + RelaxedTopK.gumbelNoise(count: 1, generator: &g)[0] }
        for k in [1, 192, 383, 384] {
            let relaxed = RelaxedTopK(scores: scores, k: k, temperature: 0.1)
            let gradient = relaxed.backward((0 ..< 384).map { Float($0 % 7) - 3 })
            #expect(relaxed.mask.allSatisfy(\.isFinite) && gradient.allSatisfy(\.isFinite))
            #expect(abs(relaxed.mask.reduce(0, +) - Float(k)) < 1e-2)
        }
    }
}
