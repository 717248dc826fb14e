import Foundation

/// Reads the `_id` of every record of a BEIR `corpus.jsonl` or `queries.jsonl`, in file order.
///
/// Each non-empty line must be a JSON object with a string (or integer) `_id`; the texts are not kept.
public func readJSONLinesIds(_ path: String) throws(EmbeddingIOError) -> [String] {
    try parseJSONLinesIds(try readTextFile(path), path: path)
}

/// ``readJSONLinesIds(_:)`` on text already in memory; `path` names it in errors.
public func parseJSONLinesIds(_ text: String, path: String) throws(EmbeddingIOError) -> [String] {
    let lines = numberedLines(text)
    var ids: [String] = []
    var lineOfIndex: [Int] = []
    for (number, line) in lines where !line.allSatisfy({ $0 == " " }) {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
        guard let record = object as? [String: Any] else {
            throw .malformedLine(path: path, line: number, expected: "a JSON object", found: String(line.prefix(80)))
        }
        switch record["_id"] {
        case let id as String where !id.isEmpty:
            ids.append(id)
        case let id as Int:
            ids.append(String(id))
        default:
            throw .malformedLine(path: path, line: number, expected: "a non-empty \"_id\" field",
                                 found: String(line.prefix(80)))
        }
        lineOfIndex.append(number)
    }
    guard !ids.isEmpty else { throw .emptyFile(path: path, expected: "JSON lines with an \"_id\" each") }
    try checkUnique(ids, path: path) { lineOfIndex[$0] }
    return ids
}
