import Foundation

/// A fresh directory under the system's temporary folder, removed with everything in it on deinit.
public final class TemporaryDirectory {
    /// Its absolute path.
    public let path: String

    /// Creates a new, empty directory.
    public init() {
        let template = NSTemporaryDirectory() + "matryoshka-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { fatalError("mkdtemp failed for \(template)") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory (sub-folders are created).
    public func file(_ name: String) -> String {
        let full = "\(path)/\(name)"
        let folder = (full as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return full
    }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) -> String {
        let full = file(name)
        precondition(FileManager.default.createFile(atPath: full, contents: Data(text.utf8)), "cannot write \(full)")
        return full
    }

    /// Writes raw bytes to `name` and returns its path.
    @discardableResult
    public func write(bytes: [UInt8], to name: String) -> String {
        let full = file(name)
        precondition(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        return full
    }
}
