/// Memory this process may still use, from `MemAvailable` in `/proc/meminfo` (nil where that is unknown).
public func availableMemoryBytes() -> Int? {
    guard let text = try? readTextFile("/proc/meminfo") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
        let fields = line.split(separator: " ")
        if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
    }
    return nil
}

/// Throws ``EmbeddingIOError/tooLargeForMemory(path:rows:columns:needed:available:)`` when `copies` float32 copies of
/// the file's vectors (the vectors, their normalised and transformed versions) would not fit in `available` bytes.
public func checkFitsInMemory(_ file: NpyFile, copies: Int = 3, available: Int? = availableMemoryBytes())
    throws(EmbeddingIOError)
{
    let needed = file.rowCount * file.dimension * 4 * copies
    if let available, needed > available {
        throw .tooLargeForMemory(path: file.path, rows: file.rowCount, columns: file.dimension, needed: needed,
                                 available: available)
    }
}
