#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits text into lines on LF, dropping a trailing CR (CRLF files) and a final empty line.
///
/// Works on UTF-8 bytes: Swift treats CR LF as one `Character`, so splitting characters on `"\n"`
/// would miss every CRLF line end.
/// - Returns: `(number, text)` pairs with 1-based line numbers.
func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
    var lines: [(Int, Substring)] = []
    forEachLine(of: Array(text.utf8)) { number, line in lines.append((number, Substring(line.string(0 ..< line.count)))) }
    return lines
}

/// Calls `body` with each line of UTF-8 `bytes` and its 1-based number (split on LF, a trailing CR dropped, no
/// final empty line), without building an array of lines.
///
/// Line ends are found with `memchr`, so a large file is scanned at memory speed.
func forEachLine<E: Error>(of bytes: [UInt8],
                           _ body: (_ number: Int, _ line: UnsafeBufferPointer<UInt8>) throws(E) -> Void) throws(E) {
    try bytes.withUnsafeBufferPointer { (buffer) throws(E) in
        guard let base = buffer.baseAddress else { return }
        var start = 0, number = 0
        while start < buffer.count {
            let end = buffer.index(of: 0x0A, from: start)
            number += 1
            let stop = end > start && base[end - 1] == 0x0D ? end - 1 : end
            try body(number, UnsafeBufferPointer(start: base + start, count: stop - start))
            start = end + 1
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The index of the first `byte` at or after `from` (found with `memchr`), or `count`.
    func index(of byte: UInt8, from: Int) -> Int {
        guard let base = baseAddress, from < count else { return count }
        guard let found = memchr(base + from, Int32(byte), count - from) else { return count }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    /// The bytes in `range`, decoded as UTF-8.
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }

    /// `range` without the ASCII spaces at either end.
    func trimmingSpaces(_ range: Range<Int>) -> Range<Int> {
        var (start, end) = (range.lowerBound, range.upperBound)
        while start < end, self[start] == 0x20 { start += 1 }
        while end > start, self[end - 1] == 0x20 { end -= 1 }
        return start ..< end
    }
}
