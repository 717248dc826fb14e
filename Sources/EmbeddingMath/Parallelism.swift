import Dispatch
import Foundation
import Synchronization

/// How many threads the heavy steps use, and a parallel loop whose results do not depend on that number.
///
/// Every parallel computation in the library splits its work into **jobs fixed by the problem's shape alone**
/// (tiles of a product, blocks of documents), each writing its own part of the output, and combines them in
/// job order. The thread count only decides how many workers take jobs, never what a job computes, so any
/// thread count gives bit-identical results. OpenBLAS itself stays on one thread (see ``BLAS``): its own
/// threading splits some products differently by thread count (`Aᵀ B` on two threads does not reproduce one
/// thread's bits), and its idle workers spin between calls.
public enum Parallelism {
    /// The thread count for the current task (or thread), default all cores the process may run on.
    ///
    /// Commands set it from `--threads` with `Parallelism.$threads.withValue(n) { … }`; tests scope it the
    /// same way, so concurrent tests never see each other's setting.
    @TaskLocal public static var threads: Int = availableCores

    /// Cores this process may run on (Foundation reads the CPU affinity mask and cgroup quota), at least 1.
    public static let availableCores: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(job, worker)` for every `job` in `0 ..< jobs` on up to `threads` workers and returns when all
    /// are done. `worker` (in `0 ..< min(threads, jobs)`) names the worker running the job, for per-worker
    /// scratch space; jobs must write disjoint outputs. With one thread (or one job) everything runs on the
    /// calling thread, in job order.
    public static func forEach(jobs: Int, threads: Int = Parallelism.threads, _ body: (_ job: Int, _ worker: Int) -> Void) {
        let workers = min(max(threads, 1), jobs)
        guard workers > 1 else {
            for job in 0 ..< jobs { body(job, 0) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let job = next.add(1, ordering: .relaxed).oldValue
                    guard job < jobs else { break }
                    work.value(job, worker)
                }
            }
        }
    }

    /// The results of `body(job, worker)` for `job` in `0 ..< jobs`, computed on up to `threads` workers, in job
    /// order (`worker` as in ``forEach(jobs:threads:_:)``).
    public static func map<T>(jobs: Int, threads: Int = Parallelism.threads,
                              _ body: (_ job: Int, _ worker: Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: jobs)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = UncheckedSendable(buffer)
            forEach(jobs: jobs, threads: threads) { job, worker in slots.value[job] = body(job, worker) }
        }
        return results.map { $0! }
    }
}

extension Parallelism {
    /// Elements below which a row-wise loop runs on the calling thread.
    public static let rowChunkElements = 1 << 16

    /// Runs `body(rows)` over consecutive ranges of `0 ..< rows` (about ``rowChunkElements`` elements each) on
    /// the workers, for loops whose rows are independent (each range touches only its own rows), so any split gives
    /// the same result. Small matrices run in one call on the calling thread.
    public static func forEachRowChunk(rows: Int, columns: Int, threads: Int = Parallelism.threads,
                                       _ body: (Range<Int>) -> Void) {
        let chunk = max(1, rowChunkElements / max(columns, 1))
        guard rows > chunk, threads > 1 else {
            if rows > 0 { body(0 ..< rows) }
            return
        }
        forEachRange(count: rows, size: chunk, threads: threads) { range, _ in body(range) }
    }

    /// Runs `body(range, worker)` over the consecutive ranges of `size` items that cut `0 ..< count` (the last
    /// shorter), one job each on the workers (``forEach(jobs:threads:_:)``): the ranges depend on `count` and `size`
    /// alone, so a body that writes only its own range's outputs gives the same result for any thread count.
    public static func forEachRange(count: Int, size: Int, threads: Int = Parallelism.threads,
                                    _ body: (_ range: Range<Int>, _ worker: Int) -> Void) {
        precondition(size > 0, "Ranges need a positive size")
        forEach(jobs: (count + size - 1) / size, threads: threads) { job, worker in
            body(job * size ..< min(count, (job + 1) * size), worker)
        }
    }
}

/// A value handed to parallel workers that the caller vouches for: each worker touches a disjoint part of it
/// (pointers into one output buffer, a closure that only reads shared state).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}
