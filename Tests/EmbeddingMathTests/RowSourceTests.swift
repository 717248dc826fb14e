import EmbeddingMath
import Foundation
import Synchronization
import Testing

/// Rows read slowly, counting the reads that have started and the ones that have finished.
private final class SlowRows: RowSource, @unchecked Sendable {
    let rowCount = 12
    let dimension = 2
    let sourceName = "<slow>"
    let started = Atomic<Int>(0), finished = Atomic<Int>(0)
    let flags = Mutex<[Bool]>([])

    func block(_ range: Range<Int>) throws -> Matrix {
        started.add(1, ordering: .relaxed)
        flags.withLock { $0.append(Cancellation.current?.isCancelled ?? false) }
        Thread.sleep(forTimeInterval: 0.05)
        finished.add(1, ordering: .relaxed)
        return Matrix(rows: range.count, columns: dimension, repeating: 1)
    }

    func gather(_ indices: [Int]) throws -> Matrix { Matrix(rows: indices.count, columns: dimension, repeating: 1) }
}

@Suite struct RowSourceTests {
    struct Stop: Error {}

    /// When the body throws, the read of the next block (already under way on another thread) has finished before
    /// `forEachBlock` returns: memory a caller lent is never read after the call.
    @Test func noReadOutlivesTheCall() throws {
        let rows = SlowRows()
        #expect(throws: Stop.self) { try rows.forEachBlock(rows: 4) { _, _ in throw Stop() } }
        #expect(rows.started.load(ordering: .relaxed) == 2 && rows.finished.load(ordering: .relaxed) == 2)
    }

    /// A raised flag stops the loop between blocks with `Cancelled`, and the reading thread sees the caller's flag.
    @Test func aRaisedFlagStopsBetweenBlocks() throws {
        let rows = SlowRows()
        let flag = CancellationFlag()
        var seen = 0
        #expect(throws: Cancelled()) {
            try Cancellation.$current.withValue(flag) {
                try rows.forEachBlock(rows: 4) { _, _ in
                    seen += 1
                    flag.cancel()
                }
            }
        }
        #expect(seen == 1 && rows.finished.load(ordering: .relaxed) == rows.started.load(ordering: .relaxed))
        // The read begun after the flag went up (on the reading thread) saw it raised.
        #expect(rows.flags.withLock { $0.first == false && $0.last == true })
    }
}
