import Foundation

/// Shows progress on standard error: one live, rewritten line on a terminal; plain lines, at most one every
/// few seconds, when standard error is a file or pipe; nothing with `--quiet`.
public final class ProgressDisplay {
    private let quiet: Bool
    private let live: Bool
    private let plainInterval: Duration
    private var lastPlain: ContinuousClock.Instant?
    private var hasLiveLine = false

    /// A display; `quiet` silences it.
    public init(quiet: Bool, plainInterval: Duration = .seconds(5)) {
        self.quiet = quiet
        live = isatty(STDERR_FILENO) != 0
        self.plainInterval = plainInterval
    }

    /// Shows `line` as the current state (`force` prints it even between plain-line intervals).
    public func update(_ line: String, force: Bool = false) {
        guard !quiet else { return }
        if live {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            hasLiveLine = true
            return
        }
        let now = ContinuousClock.now
        if force || lastPlain.map({ now - $0 >= plainInterval }) ?? true {
            printError(line)
            lastPlain = now
        }
    }

    /// A message on its own line (ends any live line first).
    public func message(_ line: String) {
        guard !quiet else { return }
        finish()
        printError(line)
    }

    /// Ends the live line, if any.
    public func finish() {
        if live, hasLiveLine {
            FileHandle.standardError.write(Data("\n".utf8))
            hasLiveLine = false
        }
    }
}
