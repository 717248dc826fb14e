import EmbeddingMath
import Testing

@Suite struct KernelsTests {
    func firstAbove(_ x: [Float], _ threshold: Float) -> Int {
        x.withUnsafeBufferPointer { Kernels.firstAbove($0.baseAddress!, count: x.count, threshold: threshold) }
    }

    @Test(arguments: [0, 5, 31, 32, 33, 63, 64, 95, 99])
    func findsTheFirstScoreAboveTheThresholdAtAnyOffset(position: Int) {
        var x = [Float](repeating: 0.5, count: 100)
        x[position] = 0.9
        x[min(position + 1, 99)] = 0.95
        #expect(firstAbove(x, 0.6) == position)
    }

    @Test func equalIsNotAboveAndNaNNever() {
        #expect(firstAbove([Float](repeating: 0.7, count: 70), 0.7) == 70)
        #expect(firstAbove([Float](repeating: .nan, count: 40) + [1], 0) == 40)
        #expect(firstAbove([], 0) == 0)
        #expect(firstAbove([-3, -2, -1], -.infinity) == 0)
    }
}
