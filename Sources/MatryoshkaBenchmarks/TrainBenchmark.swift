import AdaptorCommands
import ArgumentParser
import Foundation
import Matryoshka

/// Training steps per second with the default settings, and the sgemm rate on the step's main shape.
struct TrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Unsupervised training iterations per second (defaults: batch 128, k = 10, M = 16 … d) and GFLOP/s."
    )

    @Option(help: "Corpus vectors (.npy).") var corpus: String
    @Option(help: "Timed steps per run.") var iterations: Int = 200
    @Option(help: "Runs (the median is reported).") var runs: Int = 5
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.run(measure)
    }

    func measure() throws {
        let vectors = try readNpy(corpus)
        let d = vectors.columns
        let trainer = UnsupervisedTrainer(configuration: UnsupervisedConfiguration(),
                                          adaptorConfiguration: AdaptorConfiguration(inputDimension: d))
        var timings: [StepTiming] = []
        for _ in 0 ..< runs { timings.append(try trainer.timeSteps(corpus: vectors, iterations: iterations)) }
        timings.sort { $0.seconds < $1.seconds }
        let median = timings[timings.count / 2]
        // The reference: one sgemm of the step's dominant shape, (1408 × d) · (d × d).
        let a = Matrix.gaussian(rows: 1408, columns: d, generator: &Self.generator)
        let b = Matrix.gaussian(rows: d, columns: d, generator: &Self.generator)
        var c = Matrix(rows: 1408, columns: d)
        let sgemm = medianSeconds(runs: 21) { for _ in 0 ..< 20 { BLAS.gemm(a, b, into: &c) } } / 20
        let row: [String: Any] = [
            "iterations_per_second": Double(median.iterations) / median.seconds,
            "gflops": median.flops / median.seconds / 1e9,
            "sgemm_gflops": 2 * 1408 * Double(d) * Double(d) / sgemm / 1e9,
            "runs": runs, "iterations": iterations, "dimension": d, "threads": threadOptions.threads,
        ]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    nonisolated(unsafe) static var generator = SeededGenerator(seed: 1)
}
