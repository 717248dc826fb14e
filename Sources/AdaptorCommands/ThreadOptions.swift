import ArgumentParser
import Matryoshka

/// `--threads N`: how many workers the heavy steps use (default: every core this process may run on).
public struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Worker threads for search, mining, training and adapting (default: every core this process may use, "
            + "\(Parallelism.availableCores) here). Results are identical for any count.", valueName: "N"))
    public var threads: Int = Parallelism.availableCores

    public init() {}

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Runs `body` with ``Parallelism/threads`` set to `--threads`.
    public func run<T>(_ body: () throws -> T) rethrows -> T {
        try Parallelism.$threads.withValue(threads, operation: body)
    }
}
