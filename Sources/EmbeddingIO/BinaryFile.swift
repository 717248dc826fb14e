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
/// The temporary is `.<name>.<pid>-<random>.tmp` in the destination's folder. While it is open it is recorded
/// for the SIGINT / SIGTERM handler (`matryoshka_temporary_register`), which removes it and exits with 130 / 143;
/// and opening a destination first removes temporaries of its own name left by processes that no longer exist
/// (a `kill -9`, a power cut), never those of a live process.
public final class AtomicOutputFile {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var slot: Int32 = -1

    /// Opens a temporary file beside `path` for writing.
    public init(path: String) throws(EmbeddingIOError) {
        self.path = path
        let random = UInt32.random(in: 0 ... UInt32.max)
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        Self.removeStaleTemporaries(directory: directory, name: name)
        temporaryPath = "\(directory).\(name).\(getpid())-\(random).tmp"
        // Registered before it exists: a signal that arrives while the file is being created still removes it.
        slot = matryoshka_temporary_register(temporaryPath, path)
        guard let handle = fopen(temporaryPath, "wb") else {
            let reason = String(cString: strerror(errno))
            matryoshka_temporary_unregister(slot)
            slot = -1
            throw .cannotWrite(path: path, reason: reason)
        }
        self.handle = handle
    }

    deinit {
        if let handle {
            fclose(handle)
            unlink(temporaryPath)
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

    /// Flushes, closes and renames the temporary file to ``path``.
    public func commit() throws(EmbeddingIOError) {
        guard let handle else { preconditionFailure("commit twice") }
        self.handle = nil
        defer {
            matryoshka_temporary_unregister(slot)
            slot = -1
        }
        let flushed = fflush(handle) == 0 && fsync(fileno(handle)) == 0
        let reason = String(cString: strerror(errno))
        fclose(handle)
        guard flushed else {
            unlink(temporaryPath)
            throw .cannotWrite(path: path, reason: reason)
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .cannotWrite(path: path, reason: reason)
        }
    }
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
