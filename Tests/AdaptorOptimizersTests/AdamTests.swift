import AdaptorOptimizers
import EmbeddingMath
import Testing

@Suite struct AdamTests {
    struct Parameters {
        var values: [Float]
    }

    @Test func twoStepsByHand() {
        var adam = Adam(learningRate: 0.1, zeros: Parameters(values: [0]), paths: [\Parameters.values])
        var p = Parameters(values: [1])
        // Step 1, g = 0.5: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, θ = 1 - 0.1 · 0.5 / 0.5 = 0.9.
        adam.update(&p, along: Parameters(values: [0.5]))
        #expect(abs(p.values[0] - 0.9) < 1e-6)
        // Step 2, g = -1: m = -0.055, v = 0.00124975, m̂ = -0.055/0.19, v̂ = 0.00124975/0.001999,
        // θ = 0.9 + 0.1 · 0.2894737 / 0.7906877 = 0.9366104.
        adam.update(&p, along: Parameters(values: [-1]))
        #expect(abs(p.values[0] - 0.9366104) < 1e-5)
        #expect(adam.step == 2)
    }

    @Test func onlyTheGivenPathsMove() {
        struct Two { var a: [Float]; var b: [Float] }
        var adam = Adam(learningRate: 0.1, zeros: Two(a: [0], b: [0]), paths: [\Two.a])
        var p = Two(a: [1], b: [1])
        adam.update(&p, along: Two(a: [1], b: [1]))
        #expect(p.a[0] < 1 && p.b[0] == 1)
    }

    /// The update is element-wise and runs in chunks on the workers: any thread count gives the same bits.
    @Test func identicalForAnyThreadCount() {
        let count = 200_000
        var g = SeededGenerator(seed: 5)
        let gradients = (0 ..< 3).map { _ in Parameters(values: (0 ..< count).map { _ in g.nextUnitFloat() - 0.5 }) }
        func run(threads: Int) -> [Float] {
            Parallelism.$threads.withValue(threads) {
                var adam = Adam(learningRate: 0.01, zeros: Parameters(values: [Float](repeating: 0, count: count)),
                                paths: [\Parameters.values])
                var p = Parameters(values: [Float](repeating: 1, count: count))
                for gradient in gradients { adam.update(&p, along: gradient) }
                return p.values
            }
        }
        let one = run(threads: 1)
        #expect(one != [Float](repeating: 1, count: count))
        for threads in [2, 3] { #expect(run(threads: threads) == one, "\(threads) threads") }
    }
}
