import EmbeddingIO
import Testing
import _TestSupport

@Suite struct TextFormatTests {
    let dir = TemporaryDirectory()

    @Test func idListReadsLinesAndCRLF() throws {
        #expect(try readIdList(dir.write("a\r\nb\r\nc\r\n", to: "ids.txt")) == ["a", "b", "c"])
        #expect(try readIdList(dir.write("a\nb", to: "ids2.txt")) == ["a", "b"])
    }

    @Test func idListErrorsNameFileAndLine() {
        let empty = dir.write("", to: "empty.txt")
        #expect(throws: EmbeddingIOError.emptyFile(path: empty, expected: "one id per line")) { try readIdList(empty) }
        let duplicate = dir.write("a\nb\na\n", to: "dup.txt")
        #expect(throws: EmbeddingIOError.duplicateId(path: duplicate, id: "a", firstLine: 1, line: 3)) {
            try readIdList(duplicate)
        }
        let blank = dir.write("a\n\nb\n", to: "blank.txt")
        #expect(throws: EmbeddingIOError.malformedLine(path: blank, line: 2, expected: "an id", found: "")) {
            try readIdList(blank)
        }
    }

    @Test func qrelsWithHeaderAndGrades() throws {
        let path = dir.write("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\nq2\td1\t1\n", to: "q.tsv")
        let qrels = try Qrels.read(path)
        #expect(qrels.judgements == ["q1": ["d1": 2, "d2": 0], "q2": ["d1": 1]])
        #expect(qrels.queryOrder == ["q1", "q2"])
        #expect(qrels.count == 3)
        // No header line: the first line is data.
        #expect(try Qrels.read(dir.write("q1\td1\t1\r\n", to: "nohead.tsv")).judgements == ["q1": ["d1": 1]])
    }

    @Test func qrelsErrorsNameFileAndLine() throws {
        let twoFields = dir.write("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2 d2 1\n", to: "a.tsv")
        #expect(throws: EmbeddingIOError.malformedLine(
            path: twoFields, line: 3, expected: "three tab-separated fields: query-id, corpus-id, integer score",
            found: "q2 d2 1")) { try Qrels.read(twoFields) }
        let badScore = dir.write("query-id\tcorpus-id\tscore\nq1\td1\t0.5\n", to: "b.tsv")
        #expect(throws: EmbeddingIOError.malformedLine(path: badScore, line: 2,
                                                       expected: "an integer score in the third field", found: "0.5")) {
            try Qrels.read(badScore)
        }
        let headerOnly = dir.write("query-id\tcorpus-id\tscore\n", to: "c.tsv")
        #expect(throws: EmbeddingIOError.emptyFile(path: headerOnly, expected: "judgement lines after the header")) {
            try Qrels.read(headerOnly)
        }
        let empty = dir.write("", to: "d.tsv")
        #expect(throws: EmbeddingIOError.self) { try Qrels.read(empty) }
    }

    /// The field and line splitting on bytes: a fourth field, an empty id, a lone newline, CRLF lines, and a tab
    /// followed by a combining mark (one Swift `Character`, still two fields).
    @Test func qrelsFieldsAreSplitOnBytes() throws {
        let expected = "three tab-separated fields: query-id, corpus-id, integer score"
        #expect(throws: EmbeddingIOError.malformedLine(path: "m", line: 2, expected: expected, found: "q1\td1\t1\tx")) {
            try Qrels.parse("q0\td0\t1\nq1\td1\t1\tx\n", path: "m")
        }
        #expect(throws: EmbeddingIOError.malformedLine(path: "m", line: 1, expected: expected, found: "\td1\t1")) {
            try Qrels.parse("\td1\t1\n", path: "m")
        }
        #expect(throws: EmbeddingIOError.malformedLine(path: "m", line: 1, expected: expected, found: "")) {
            try Qrels.parse("\n", path: "m")
        }
        let crlf = try Qrels.parse("query-id\tcorpus-id\tscore\r\nq1\td1\t 2 \r\nq1\td2\t1\r\n", path: "m")
        #expect(crlf.judgements == ["q1": ["d1": 2, "d2": 1]])
        #expect(try Qrels.parse("q1\t\u{301}d1\t1\n", path: "m").judgements == ["q1": ["\u{301}d1": 1]])
    }

    @Test func jsonLinesIds() throws {
        let path = dir.write("""
        {"_id": "4983", "title": "A", "text": "x"}
        {"_id": 12, "text": "y"}

        """, to: "corpus.jsonl")
        #expect(try readJSONLinesIds(path) == ["4983", "12"])
        let bad = dir.write("{\"_id\": \"a\"}\n{\"title\": \"no id\"}\n", to: "bad.jsonl")
        do {
            _ = try readJSONLinesIds(bad)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("\(bad), line 2: expected a non-empty \"_id\" field"))
        }
        let notJSON = dir.write("{\"_id\": \"a\"}\nnot json\n", to: "bad2.jsonl")
        #expect(throws: EmbeddingIOError.malformedLine(path: notJSON, line: 2, expected: "a JSON object", found: "not json")) {
            try readJSONLinesIds(notJSON)
        }
        let duplicate = dir.write("{\"_id\": \"a\"}\n{\"_id\": \"a\"}\n", to: "dup.jsonl")
        #expect(throws: EmbeddingIOError.duplicateId(path: duplicate, id: "a", firstLine: 1, line: 2)) {
            try readJSONLinesIds(duplicate)
        }
    }
}
