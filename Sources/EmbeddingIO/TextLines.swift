/// Splits text into lines on LF, dropping a trailing CR (CRLF files) and a final empty line.
///
/// Works on UTF-8 bytes: Swift treats CR LF as one `Character`, so splitting characters on `"\n"`
/// would miss every CRLF line end.
/// - Returns: `(number, text)` pairs with 1-based line numbers.
func numberedLines(_ text: String) -> [(number: Int, text: Substring)] {
    var lines: [(Int, Substring)] = []
    var number = 0
    for var bytes in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
        number += 1
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        lines.append((number, Substring(bytes)))
    }
    if let last = lines.last, last.1.isEmpty { lines.removeLast() }
    return lines
}
