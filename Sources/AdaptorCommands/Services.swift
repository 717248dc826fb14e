import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The commands that need the HTTP and PostgreSQL stack (`serve`, `load`, `search --postgres`) live in a second
/// executable, matryoshka-services, so that building `matryoshka` compiles none of it. `matryoshka` runs it for
/// them, as git runs `git-<command>`: found beside this executable, else on `PATH`, and exec'd with the same
/// arguments (signals, exit status and output are its own).
public enum Services {
    /// The companion executable's name.
    public static let executableName = "matryoshka-services"
    /// The subcommands it alone runs (`search` goes there only with `--postgres`).
    public static let commands: Set<String> = ["serve", "load"]

    /// Where the companion is: beside the running executable, else the first match on `PATH`; nil when neither.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent(executableName).path
        let path = (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(executableName)" }
        return ([beside] + path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Replaces this process with matryoshka-services running `arguments` (this process's own, `arguments[0]` the
    /// program name); returns only by throwing, when it cannot be found or started.
    public static func run(_ arguments: [String]) throws -> Never {
        guard let path = locate() else { throw ServicesError.notBuilt(command: arguments.dropFirst().first ?? "") }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
        execv(path, &argv)
        throw ServicesError.cannotStart(path: path, problem: String(cString: strerror(errno)))
    }
}

/// matryoshka-services is missing or cannot start.
public enum ServicesError: Error, CustomStringConvertible {
    case notBuilt(command: String)
    case cannotStart(path: String, problem: String)

    public var description: String {
        switch self {
        case let .notBuilt(command):
            "matryoshka \(command) is run by \(Services.executableName), which is not built here (looked beside this "
                + "executable and on PATH). Build it once with: swift build -c release --product \(Services.executableName) "
                + "(it compiles the HTTP and PostgreSQL stack: a few minutes)"
        case let .cannotStart(path, problem):
            "cannot start \(path): \(problem)"
        }
    }
}

/// `matryoshka serve` in the command list; matryoshka-services runs it.
struct ServeEntry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the adaptor over HTTP: OpenAI-compatible /v1/embeddings with `dimensions`, /v1/adapt, /v1/search.",
        discussion: "Run by \(Services.executableName); `matryoshka serve --help` lists its flags.")
}

/// `matryoshka load` in the command list; matryoshka-services runs it.
struct LoadEntry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Adapt vectors and bulk-load them into PostgreSQL + pgvector (binary COPY), with an optional index.",
        discussion: "Run by \(Services.executableName); `matryoshka load --help` lists its flags.")
}
