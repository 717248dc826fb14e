import AdaptorCommands
import ArgumentParser
import Matryoshka

/// `matryoshka-bench`: release-build benchmarks whose output BENCHMARKS.md quotes.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matryoshka-bench",
        abstract: "Benchmarks for BENCHMARKS.md (build with -c release).",
        subcommands: [SearchBenchmark.self, TrainBenchmark.self, MiningBenchmark.self, SgemmBenchmark.self, FunnelBenchmark.self,
                      ResponseBenchmark.self, HammingBenchmark.self, CodeScanBenchmark.self]
    )
}

Allocator.keepFreedMemory()
BenchmarkCommand.main()
