import ArgumentParser
import Foundation
import EmbeddingIO
import EmbeddingMath
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `matryoshka` command tree.
@available(macOS 10.15, *)
public struct MatryoshkaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "matryoshka",
        abstract: "Make embedding vectors shrinkable: fit Matryoshka adaptors and measure retrieval at every size.",
        discussion: """
        The first m coordinates of an adapted vector x̂ are a smaller embedding that keeps the \
        retrieval quality of the full one (Matryoshka-Adaptor, arXiv 2407.20243). A session:

          1. fit       learn an adaptor from corpus vectors (or with judged queries)
          2. evaluate  nDCG@10 / Recall@100 / MRR@10 at every size m, any method
          3. report    compare methods in one HTML page (chart, costs) and JSON
          4. apply     adapt your vectors, optionally cut to m, as a .npy file
          5. search    exact top-k at dimension m, written as a TREC run
          6. serve     OpenAI-compatible embeddings with `dimensions`, vectors in and out, search

        A data set is a folder: corpus.f32.npy + corpus_ids.txt, optionally \
        queries.f32.npy + query_ids.txt and BEIR qrels in qrels/<split>.tsv. \
        Vectors are 2-D .npy (float32; float16 and float64 are converted). \
        Logs and progress go to standard error, results to standard output; \
        --quiet silences progress.

        Examples:
          matryoshka fit --data data/scifact --out u.safetensors
          matryoshka fit --data data/scifact --supervised --out s.safetensors
          matryoshka evaluate --data data/scifact --method pca
          matryoshka report --data data/scifact --out report.html \\
              --methods truncate,pca,adaptor:u.safetensors,adaptor:s.safetensors
          matryoshka apply --adaptor u.safetensors --input x.npy \\
              --output x64.npy --dimension 64

        Each subcommand's --help lists every flag with its default.
        """,
        version: matryoshkaLibraryVersion,
        subcommands: [FitCommand.self, ApplyCommand.self, EvaluateCommand.self, SearchCommand.self, ReportCommand.self,
                      ServeCommand.self, LoadCommand.self]
    )

    /// The root command (ArgumentParser builds it from the arguments).
    public init() {}

    /// Process set-up before parsing: the allocator keeps freed block buffers (``Allocator/keepFreedMemory()``),
    /// and a write past the file-size limit fails with an error (which leaves the destination as it was) instead
    /// of killing the process with `SIGXFSZ` half-way through a temporary file.
    /// Parses the command line and runs the chosen command (async ones awaited), exiting with its error if any.
    public static func start() async {
        var parsed: (any ParsableCommand)?
        do {
            var command = try await asyncParseAsRoot(nil)
            parsed = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // A ValidationError from a subcommand's run shows that subcommand's usage, not the root's.
            if let parsed, error is ValidationError, type(of: parsed) != MatryoshkaCommand.self {
                let name = type(of: parsed).configuration.commandName ?? "\(type(of: parsed))"
                let text = "Error: \(error)\nUsage: " + usageString(for: type(of: parsed)) + "\n"
                    + "  See 'matryoshka \(name) --help' for more information.\n"
                FileHandle.standardError.write(Data(text.utf8))
                exit(withError: ExitCode.validationFailure)
            }
            exit(withError: error)
        }
    }

    public static func prepareProcess() {
        Allocator.keepFreedMemory()
        signal(SIGXFSZ, SIG_IGN)
    }
}
