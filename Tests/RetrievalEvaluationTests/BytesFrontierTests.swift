import RetrievalEvaluation
import Testing

/// The bytes frontier on points worked out by hand.
@Suite struct BytesFrontierTests {
    // (bytes, nDCG): a (8, 0.40), b (16, 0.55), c (16, 0.50), d (32, 0.52), e (48, 0.60), f (48, 0.60), g (8, 0.40).
    // Dominated: c (b costs the same and scores more), d (b is cheaper and scores more). a and g tie exactly, as do
    // e and f: neither of a tied pair is strictly better, so both stay.
    let points: [(bytes: Int, score: Double)] = [(8, 0.40), (16, 0.55), (16, 0.50), (32, 0.52), (48, 0.60), (48, 0.60), (8, 0.40)]

    @Test func dominatedPointsCostNoLessAndScoreNoMore() {
        #expect(BytesFrontier.dominated(points) == [false, false, true, true, false, false, false])
    }

    @Test func aPointThatCostsMoreForTheSameScoreIsDominated() {
        #expect(BytesFrontier.dominated([(32, 0.5), (16, 0.5)]) == [true, false])
    }

    /// Keeping 90 % of 0.60 needs 0.54: b (16 bytes) is the cheapest; keeping 95 % (0.57) needs e (48 bytes, the
    /// earlier of the tie); 100.1 % none.
    @Test func theCheapestPointKeepingAShare() {
        #expect(BytesFrontier.cheapest(points, keeping: 0.90, of: 0.60) == 1)
        #expect(BytesFrontier.cheapest(points, keeping: 0.95, of: 0.60) == 4)
        #expect(BytesFrontier.cheapest(points, keeping: 1.001, of: 0.60) == nil)
    }
}
