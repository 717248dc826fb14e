import Synchronization

/// A request to stop a long computation, shared between the caller that may make it (a binding's Ctrl-C, a server
/// shutting down) and the computation that checks it between steps.
///
/// Computations look at ``Cancellation/current`` (a task-local, like ``Parallelism/threads``) at points where
/// stopping leaves nothing half done: between training iterations, between blocks of rows. A computation stopped
/// this way throws ``Cancelled`` and writes no output.
public final class CancellationFlag: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A flag that nobody has raised.
    public init() {}

    /// Asks the computation watching this flag to stop at its next check (from any thread).
    public func cancel() { requested.store(true, ordering: .relaxed) }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { requested.load(ordering: .relaxed) }
}

/// The error of a computation stopped by its ``CancellationFlag``.
public struct Cancelled: Error, Equatable, CustomStringConvertible {
    /// The error.
    public init() {}

    public var description: String { "cancelled: the computation was stopped before it finished; nothing was written" }
}

/// The flag the current task's long computations check.
public enum Cancellation {
    /// The flag for the current task (or thread); nil: nobody can stop it.
    @TaskLocal public static var current: CancellationFlag?

    /// Throws ``Cancelled`` when the current flag was raised.
    public static func check() throws(Cancelled) {
        if current?.isCancelled == true { throw Cancelled() }
    }
}
