import ArgumentParser
import Matryoshka

/// `--threads N`: how many workers the heavy steps use (default: every core this process may run on).
public struct ThreadOptions: ParsableArguments {
    @Option(name: .customLong("threads"), help: ArgumentHelp(
        "Worker threads for search, mining, training and adapting (default: every core this process may use). "
            + "Results are identical for any count.", valueName: "N"))
    var requested: Int?

    public init() {}

    /// The worker count: `--threads`, or every core this process may use.
    public var threads: Int { requested ?? Parallelism.availableCores }

    public func validate() throws {
        if let requested, requested < 1 { throw ValidationError("--threads must be at least 1, got \(requested)") }
    }

    /// Runs `body` with ``/EmbeddingMath/Parallelism/threads`` set to ``threads``.
    public func run<T>(_ body: () throws -> T) rethrows -> T {
        try Parallelism.$threads.withValue(threads, operation: body)
    }
}
