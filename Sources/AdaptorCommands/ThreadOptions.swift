import ArgumentParser
import EmbeddingMath

/// `--threads N`: how many workers the heavy steps use (default: every core this process may run on).
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Worker threads for search, mining, training and adapting (default: every core this process may use, "
            + "\(Parallelism.availableCores) here). Results are identical for any count.", valueName: "N"))
    var threads: Int = Parallelism.availableCores

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Runs `body` with ``Parallelism/threads`` set to `--threads`.
    func run<T>(_ body: () throws -> T) rethrows -> T {
        try Parallelism.$threads.withValue(threads, operation: body)
    }
}
