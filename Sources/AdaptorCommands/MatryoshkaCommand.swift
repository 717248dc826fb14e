import ArgumentParser
import Foundation
import Matryoshka
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `matryoshka` command tree.
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
          7. load      embeddings into PostgreSQL + pgvector (search them with search --postgres)

        serve, load and search --postgres are run by matryoshka-services, which this command starts for them \
        (build it with swift build -c release --product matryoshka-services).

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
                      ServeEntry.self, LoadEntry.self]
    )

    /// The root command (ArgumentParser builds it from the arguments).
    public init() {}

    /// Parses the command line and runs the chosen command (async ones awaited), exiting with its error if any;
    /// `serve` and `load` are handed to matryoshka-services (``Services``) before any parsing.
    public static func start() async {
        if let first = CommandLine.arguments.dropFirst().first, Services.commands.contains(first) {
            do { try Services.run(CommandLine.arguments) } catch { exit(withError: error) }
        }
        await run(self)
    }

    /// Parses the command line as `root`'s and runs the chosen command (async ones awaited), exiting with its error
    /// if any; a usage error raised while running shows the subcommand's usage. Both executables start here.
    public static func run(_ root: any AsyncParsableCommand.Type) async {
        var parsed: (any ParsableCommand)?
        do {
            var command = try await root.asyncParseAsRoot(nil)
            parsed = command
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // A ValidationError from a subcommand's run shows that subcommand's usage, not the root's.
            if let parsed, error is ValidationError, type(of: parsed) != root {
                let name = type(of: parsed).configuration.commandName ?? "\(type(of: parsed))"
                let text = "Error: \(error)\nUsage: " + root.usageString(for: type(of: parsed)) + "\n"
                    + "  See 'matryoshka \(name) --help' for more information.\n"
                FileHandle.standardError.write(Data(text.utf8))
                root.exit(withError: ExitCode.validationFailure)
            }
            root.exit(withError: error)
        }
    }

    /// Process set-up before parsing: the allocator keeps freed block buffers (``Allocator/keepFreedMemory()``),
    /// and a write past the file-size limit fails with an error (which leaves the destination as it was) instead
    /// of killing the process with `SIGXFSZ` half-way through a temporary file.
    public static func prepareProcess() {
        Allocator.keepFreedMemory()
        signal(SIGXFSZ, SIG_IGN)
    }
}
