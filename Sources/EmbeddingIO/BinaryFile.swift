import _CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only C stream over one file, closed on deinit; errors name the file.
final class InputFile {
    let path: String
    private let handle: UnsafeMutablePointer<FILE>
    /// Size of the file in bytes when it was opened.
    let size: Int

    init(path: String) throws(EmbeddingIOError) {
        self.path = path
        guard let handle = fopen(path, "rb") else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        guard fstat(fileno(handle), &info) == 0 else {
            fclose(handle)
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            fclose(handle)
            throw .cannotOpen(path: path, reason: "is a directory")
        }
        self.handle = handle
        self.size = Int(info.st_size)
    }

    deinit { fclose(handle) }

    /// Reads up to `count` bytes into `buffer`; returns how many were read.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        count == 0 ? 0 : fread(buffer, 1, count, handle)
    }

    /// Moves the read position to byte `offset` from the start.
    func seek(to offset: Int) throws(EmbeddingIOError) {
        guard fseek(handle, offset, SEEK_SET) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads exactly `count` bytes or returns fewer at end of file.
    func readBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { read(into: $0.baseAddress!, count: count) }
        return Array(bytes.prefix(n))
    }
}

/// A read-only file descriptor read at explicit offsets (`pread`), so several threads may read it at once;
/// closed on deinit. Errors name the file.
final class RandomAccessFile: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    /// Size of the file in bytes when it was opened.
    let size: Int

    init(path: String) throws(EmbeddingIOError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotOpen(path: path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotOpen(path: path, reason: "is a directory")
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns how many were read (fewer only at the end
    /// of the file).
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws(EmbeddingIOError) -> Int {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Up to `count` bytes at `offset`.
    func readBytes(_ count: Int, at offset: Int) throws(EmbeddingIOError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBufferPointer { (raw) throws(EmbeddingIOError) in
            count == 0 ? 0 : try read(into: raw.baseAddress!, count: count, at: offset)
        }
        return Array(bytes.prefix(n))
    }
}

/// A file written to a temporary name beside its destination and renamed into place on ``commit()``,
/// so that readers never see a half-written file. Dropped without commit, the temporary is removed.
///
/// What the destination is decides how it is written, as `>` in a shell and `numpy.save` would (never by renaming
/// over something that is not a regular file):
/// - a regular file, or none: a temporary `.<name>.<pid>-<random>.tmp` in the destination's folder, renamed over it on
///   commit. An existing file keeps its permission bits and, where the process may set them (root), its owner and
///   group; a new one gets the umask's. An existing file the process may not write is refused, as `>` would be.
/// - a symbolic link (or a chain of them, dangling or not): the file it points to, by the rule above; the link stays.
/// - a character device (`/dev/null`, `/dev/stdout` on a terminal) or a FIFO (`/dev/stdout` in a pipe, `mkfifo`):
///   written directly, in order, with nothing renamed; a write error (`/dev/full`) is reported.
/// - a directory, a block device or a socket: refused.
///
/// While a temporary is open it is recorded for the SIGINT / SIGTERM handler (`matryoshka_temporary_register`),
/// which removes it and exits with 130 / 143; and opening a destination first removes temporaries of its own name
/// left by processes that no longer exist (a `kill -9`, a power cut), never those of a live process.
public final class AtomicOutputFile {
    /// The path as given.
    public let path: String
    /// Where the bytes go: the temporary file, or the device or FIFO itself.
    private let writingPath: String
    /// The regular file the temporary replaces on commit (the end of any symbolic links), or nil when writing
    /// directly.
    private let destination: String?
    private var handle: UnsafeMutablePointer<FILE>?
    private var slot: Int32 = -1

    /// Opens `path` for writing: a temporary file beside it, or the device or FIFO itself.
    public init(path: String) throws(EmbeddingIOError) {
        self.path = path
        let target = try OutputTarget(path)
        guard let regular = target.regularFile else {
            // A character device or a FIFO: opened as `>` opens it (a FIFO waits for its reader).
            guard let handle = fopen(path, "wb") else {
                throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            writingPath = path
            destination = nil
            self.handle = handle
            return
        }
        let random = UInt32.random(in: 0 ... UInt32.max)
        let slash = regular.lastIndex(of: "/")
        let directory = slash.map { String(regular[...$0]) } ?? ""
        let name = slash.map { String(regular[regular.index(after: $0)...]) } ?? regular
        Self.removeStaleTemporaries(directory: directory, name: name)
        let temporaryPath = "\(directory).\(name).\(getpid())-\(random).tmp"
        writingPath = temporaryPath
        destination = regular
        // Registered before it exists: a signal that arrives while the file is being created still removes it.
        slot = matryoshka_temporary_register(temporaryPath, regular)
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0, let handle = fdopen(descriptor, "wb") else {
            let reason = String(cString: strerror(errno))
            matryoshka_temporary_unregister(slot)
            slot = -1
            throw .cannotWrite(path: path, reason: reason)
        }
        self.handle = handle
        if let existing = target.existing {
            // The owner first: changing it may clear set-id bits, which the mode then restores. A process that may not
            // give the file away (not root) keeps it as its own, as GNU tools do; the mode is always kept.
            if existing.st_uid != geteuid() || existing.st_gid != getegid() {
                _ = fchown(descriptor, existing.st_uid, existing.st_gid)
            }
            _ = fchmod(descriptor, existing.st_mode & 0o7777)
        }
    }

    deinit {
        if let handle {
            fclose(handle)
            if destination != nil { unlink(writingPath) }
        }
        matryoshka_temporary_unregister(slot)
    }

    /// Removes `.<name>.<pid>-<n>.tmp` files in `directory` whose process `pid` is gone.
    static func removeStaleTemporaries(directory: String, name: String) {
        let prefix = ".\(name)."
        for entry in listDirectory(directory.isEmpty ? "." : directory) where entry.hasPrefix(prefix) && entry.hasSuffix(".tmp") {
            let middle = entry.dropFirst(prefix.count).dropLast(4)
            let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, UInt32(parts[1]) != nil else { continue }
            if kill(pid, 0) == -1, errno == ESRCH {
                unlink(directory + entry)
            }
        }
    }

    /// Appends `count` bytes from `bytes`.
    public func write(_ bytes: UnsafeRawPointer, count: Int) throws(EmbeddingIOError) {
        guard let handle else { preconditionFailure("write after commit") }
        guard count == 0 || fwrite(bytes, 1, count, handle) == count else {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Appends the bytes of a contiguous array of trivial values (bytes, floats) in memory order.
    public func write<T: BitwiseCopyable>(contentsOf array: [T]) throws(EmbeddingIOError) {
        guard let handle else { preconditionFailure("write after commit") }
        let count = array.count * MemoryLayout<T>.stride
        let written = array.withUnsafeBytes { raw in count == 0 ? 0 : fwrite(raw.baseAddress!, 1, count, handle) }
        guard written == count else {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Flushes and closes the file; a temporary is synced to disk and renamed over the destination.
    public func commit() throws(EmbeddingIOError) {
        guard let handle else { preconditionFailure("commit twice") }
        self.handle = nil
        defer {
            matryoshka_temporary_unregister(slot)
            slot = -1
        }
        guard let destination else {
            let flushed = fflush(handle) == 0
            let reason = String(cString: strerror(errno))
            let closed = fclose(handle) == 0
            guard flushed, closed else { throw .cannotWrite(path: path, reason: flushed ? String(cString: strerror(errno)) : reason) }
            return
        }
        let flushed = fflush(handle) == 0 && fsync(fileno(handle)) == 0
        let reason = String(cString: strerror(errno))
        fclose(handle)
        guard flushed else {
            unlink(writingPath)
            throw .cannotWrite(path: path, reason: reason)
        }
        guard rename(writingPath, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(writingPath)
            throw .cannotWrite(path: path, reason: reason)
        }
    }
}

/// What an output path names, found before anything is written (see ``AtomicOutputFile``).
struct OutputTarget {
    /// The regular file to replace or create (symbolic links followed), or nil for a device or FIFO written directly.
    let regularFile: String?
    /// The existing regular file's status (mode, owner), or nil for a new one.
    let existing: stat?

    init(_ path: String) throws(EmbeddingIOError) {
        guard !path.isEmpty else { throw .cannotWrite(path: path, reason: "the path is empty") }
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                guard access(path, W_OK) == 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
                regularFile = try Self.endOfLinks(path)
                existing = info
            case S_IFCHR, S_IFIFO:
                regularFile = nil
                existing = nil
            case S_IFDIR:
                throw .cannotWrite(path: path, reason: "is a directory; name a file")
            case S_IFBLK:
                throw .cannotWrite(path: path, reason: "is a block device; name a regular file, a character device or a FIFO")
            default:
                throw .cannotWrite(path: path, reason: "is a socket; name a regular file, a character device or a FIFO")
            }
            return
        }
        guard errno == ENOENT else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        // Nothing there yet, or a dangling link: create the file the links end at.
        regularFile = try Self.endOfLinks(path)
        existing = nil
    }

    /// `path` with every symbolic link along it followed to the name it finally points at (relative targets taken
    /// from the link's folder), whether or not that name exists; at most 40 links, as the kernel allows.
    static func endOfLinks(_ path: String) throws(EmbeddingIOError) -> String {
        var current = path
        for _ in 0 ..< 40 {
            var info = stat()
            guard lstat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length > 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else {
                let slash = current.lastIndex(of: "/")
                current = (slash.map { String(current[...$0]) } ?? "") + target
            }
        }
        throw .cannotWrite(path: path, reason: "too many levels of symbolic links")
    }
}

/// The device and inode of an existing file (symbolic links followed), or nil when there is none.
func fileIdentity(_ path: String) -> (device: UInt64, inode: UInt64)? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return (UInt64(info.st_dev), UInt64(info.st_ino))
}

/// Refuses outputs that would destroy what the command reads: an output naming the same file as an input (the same
/// device and inode, through any link or path spelling), or two outputs naming one file. Commands call it before any
/// work, with each path's option name for the message.
///
/// - Parameters:
///   - outputs: `(option, path)` of every file the command will write (nil paths: not asked for).
///   - inputs: `(option, path)` of every file it reads.
/// - Throws: ``EmbeddingIOError/outputIsInput(output:outputOption:input:inputOption:)``.
public func refuseOutputsOverwritingInputs(outputs: [(option: String, path: String?)],
                                          inputs: [(option: String, path: String?)]) throws(EmbeddingIOError) {
    var seen: [(option: String, path: String, device: UInt64, inode: UInt64)] = []
    for input in inputs {
        guard let path = input.path, let id = fileIdentity(path) else { continue }
        seen.append((input.option, path, id.device, id.inode))
    }
    var newOutputs: [(option: String, path: String, name: String)] = []
    for output in outputs {
        guard let path = output.path else { continue }
        if let id = fileIdentity(path) {
            if let clash = seen.first(where: { $0.device == id.device && $0.inode == id.inode }) {
                throw .outputIsInput(output: path, outputOption: output.option, input: clash.path, inputOption: clash.option)
            }
            seen.append((output.option, path, id.device, id.inode))
        } else if let name = try? canonicalNewFile(path) {
            // Two outputs that do not exist yet are the same file when they end at the same name in the same folder.
            if let clash = newOutputs.first(where: { $0.name == name }) {
                throw .outputIsInput(output: path, outputOption: output.option, input: clash.path, inputOption: clash.option)
            }
            newOutputs.append((output.option, path, name))
        }
    }
}

/// The absolute name a new file at `path` would get: its links followed, its folder resolved by `realpath`.
func canonicalNewFile(_ path: String) throws(EmbeddingIOError) -> String {
    let end = try OutputTarget.endOfLinks(path)
    let slash = end.lastIndex(of: "/")
    let directory = slash.map { String(end[..<$0]) } ?? "."
    let name = slash.map { String(end[end.index(after: $0)...]) } ?? end
    guard let resolved = realpath(directory.isEmpty ? "/" : directory, nil) else { return end }
    defer { free(resolved) }
    return String(cString: resolved) + "/" + name
}

/// The bytes a C-order array of `shape` takes, `elementSize × ∏ shape`; nil when a size is negative or the
/// product overflows `Int`. Headers (`.npy`, safetensors) promise shapes; this is how they are checked before any
/// size is compared with a file's.
func byteCount(shape: [Int], elementSize: Int) -> Int? {
    var bytes = elementSize
    for size in shape {
        guard size >= 0 else { return nil }
        let (product, overflow) = bytes.multipliedReportingOverflow(by: size)
        if overflow { return nil }
        bytes = product
    }
    return bytes
}

/// Reads a whole text file as UTF-8.
func readTextFile(_ path: String) throws(EmbeddingIOError) -> String {
    String(decoding: try readFileBytes(path), as: UTF8.self)
}

/// Reads a whole file's bytes.
func readFileBytes(_ path: String) throws(EmbeddingIOError) -> [UInt8] {
    let file = try InputFile(path: path)
    return file.readBytes(file.size)
}

/// Writes `text` atomically to `path`.
public func writeTextFileAtomically(_ text: String, to path: String) throws(EmbeddingIOError) {
    let file = try AtomicOutputFile(path: path)
    try file.write(contentsOf: Array(text.utf8))
    try file.commit()
}

/// Whether a regular file or directory exists at `path`.
public func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

/// The names in a directory (without `.` and `..`), sorted; empty when it cannot be read.
public func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != ".", name != ".." { names.append(name) }
    }
    return names.sorted()
}
