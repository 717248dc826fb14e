/// Reads an id list: one id per line, line `i` naming row `i` of the matching vector file.
///
/// Surrounding spaces are not part of an id and are rejected rather than guessed at; empty lines
/// (other than a final newline) and duplicate ids are errors naming the line.
/// - Returns: the ids in file order.
public func readIdList(_ path: String) throws(EmbeddingIOError) -> [String] {
    try parseIdList(try readTextFile(path), path: path)
}

/// ``readIdList(_:)`` on text already in memory; `path` names it in errors.
public func parseIdList(_ text: String, path: String) throws(EmbeddingIOError) -> [String] {
    let lines = numberedLines(text)
    guard !lines.isEmpty else { throw .emptyFile(path: path, expected: "one id per line") }
    var ids: [String] = []
    ids.reserveCapacity(lines.count)
    for (number, line) in lines {
        guard !line.isEmpty else {
            throw .malformedLine(path: path, line: number, expected: "an id", found: String(line))
        }
        ids.append(String(line))
    }
    try checkUnique(ids, path: path) { $0 + 1 }
    return ids
}

/// Throws ``EmbeddingIOError/duplicateId(path:id:firstLine:line:)`` for the first repeated id.
///
/// `lineOf` maps an index into `ids` to its line number in the file.
func checkUnique(_ ids: [String], path: String, lineOf: (Int) -> Int) throws(EmbeddingIOError) {
    var seen: [String: Int] = [:]
    seen.reserveCapacity(ids.count)
    for (i, id) in ids.enumerated() {
        if let first = seen.updateValue(i, forKey: id) {
            throw .duplicateId(path: path, id: id, firstLine: lineOf(first), line: lineOf(i))
        }
    }
}

/// Writes an id list (one id per line, LF) atomically.
public func writeIdList(_ ids: [String], to path: String) throws(EmbeddingIOError) {
    try writeTextFileAtomically(ids.map { $0 + "\n" }.joined(), to: path)
}
