import Foundation
import Matryoshka

/// CPU-heavy request work (parsing a large body, embedding vectors, searching the corpus, writing a large answer) on
/// threads of its own: `concurrency` threads, each running one job at a time on that thread alone
/// (``/EmbeddingMath/Parallelism/threads`` is 1 inside a job), at most `queueLength` jobs waiting; a job beyond those is
/// refused at once with 503.
///
/// Why threads of its own: on Linux the threads that run Swift's async tasks (the request handlers, `/health`) are
/// Dispatch's worker threads, as many as there are cores. Heavy work run there, or spread over Dispatch's workers by
/// `concurrentPerform`, takes the very threads a light request needs, and `/health` waited seconds behind a few large
/// searches. On these threads it only takes cores, which the kernel shares: `/health` stays fast (BENCHMARKS.md, "Under
/// hostile clients"), and several requests still use several cores at once.
final class HeavyWork: Sendable {
    /// Jobs running at once (threads).
    let concurrency: Int
    /// Jobs allowed to wait for a thread.
    let queueLength: Int
    private let pool: Pool

    /// `concurrency` threads (at least 1) and room for `queueLength` waiting jobs.
    init(concurrency: Int, queueLength: Int) {
        precondition(concurrency >= 1 && queueLength >= 0, "At least one job runs")
        self.concurrency = concurrency
        self.queueLength = queueLength
        pool = Pool()
        for number in 0 ..< concurrency {
            let pool = self.pool
            let thread = Thread { pool.serve() }
            thread.name = "matryoshka.heavy-work.\(number)"
            thread.start()
        }
    }

    deinit { pool.stop() }

    /// Jobs running and waiting now.
    var load: (running: Int, waiting: Int) { pool.load }

    /// The most bytes of request body parsed, or numbers of an answer written, where the request is handled rather
    /// than on the heavy threads: tens of microseconds, less than handing the job over and back costs.
    static let inlineBytes = 16 << 10

    /// Runs `body` on one of the threads when one is free (waiting if the queue has room), or, when `inline` (work
    /// of tens of microseconds, see ``inlineBytes``), here and now: the hand-over would cost more than the work.
    ///
    /// - Throws: 503 `server_busy` when every thread is busy and the queue is full; whatever `body` throws.
    func run<T: Sendable>(inline: Bool = false, _ body: @escaping @Sendable () throws(APIError) -> T) async throws(APIError) -> T {
        if inline { return try Parallelism.$threads.withValue(1) { Result { () throws(APIError) -> T in try body() } }.get() }
        let (concurrency, queueLength) = (self.concurrency, self.queueLength)
        let result: Result<T, APIError>? = await withCheckedContinuation { continuation in
            let admitted = pool.enqueue(if: { busy, waiting in busy < concurrency || waiting < queueLength }) {
                continuation.resume(returning: Parallelism.$threads.withValue(1) {
                    Result { () throws(APIError) -> T in try body() }
                })
            }
            if !admitted { continuation.resume(returning: nil) }
        }
        guard let result else {
            throw APIError(status: .serviceUnavailable, message: "The server is busy: \(concurrency) heavy jobs are "
                           + "running and \(queueLength) are waiting. Retry shortly.", type: "server_error", code: "server_busy")
        }
        return try result.get()
    }

    /// The threads' shared queue (the threads hold it, not the ``HeavyWork``, so that dropping the latter stops them).
    final class Pool: @unchecked Sendable {
        private let condition = NSCondition()
        private var queue: [() -> Void] = []
        private var busy = 0
        private var stopped = false

        var load: (running: Int, waiting: Int) {
            condition.lock()
            defer { condition.unlock() }
            return (busy, queue.count)
        }

        /// Queues `job` when `admit(busy, waiting)` allows it; returns whether it did.
        func enqueue(if admit: (Int, Int) -> Bool, _ job: @escaping () -> Void) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            guard admit(busy, queue.count) else { return false }
            queue.append(job)
            condition.signal()
            return true
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        /// One thread's loop: take the oldest job, run it, repeat until stopped.
        func serve() {
            while true {
                condition.lock()
                while queue.isEmpty, !stopped { condition.wait() }
                if stopped {
                    condition.unlock()
                    return
                }
                let job = queue.removeFirst()
                busy += 1
                condition.unlock()
                job()
                condition.lock()
                busy -= 1
                condition.unlock()
            }
        }
    }
}
