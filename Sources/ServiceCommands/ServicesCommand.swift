import AdaptorCommands
import ArgumentParser
import Matryoshka

/// The command tree of matryoshka-services: the commands of `matryoshka` that need the HTTP and PostgreSQL stack.
/// `matryoshka serve|load|search --postgres` runs this executable with its own arguments, so its name in usage is
/// `matryoshka`.
public struct ServicesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "matryoshka",
        abstract: "The network commands of matryoshka: serve over HTTP, load into and search in PostgreSQL + pgvector.",
        discussion: """
        Run for you by matryoshka (serve, load, search --postgres); it can also be run directly.
        """,
        version: matryoshkaLibraryVersion,
        subcommands: [ServeCommand.self, LoadCommand.self, SearchCommand.self]
    )

    public init() {}

    /// Prepares the process as `matryoshka` does and runs the command line; `search` searches in PostgreSQL here.
    public static func start() async {
        MatryoshkaCommand.prepareProcess()
        SearchCommand.postgresSearch = postgresRunText
        await MatryoshkaCommand.run(self)
    }
}
