import EmbeddingMath
import NIOCore
import Testing
@testable import VectorDatabase

/// What needs no server: the binary COPY bytes (hand-computed), URLs and their redaction, table names and layouts.
/// Against a real PostgreSQL: PostgresLoaderTests here, Tests/ServiceCommandsTests/PostgresCommandTests.swift and
/// Tests/AdaptorServerTests/PostgresServerTests.swift (run by scripts/test).
@Suite struct BinaryCopyTests {
    @Test func headerAndTrailerAreTheDocumentedBytes() {
        #expect(BinaryCopy.header == [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00,
                                      0, 0, 0, 0, 0, 0, 0, 0])
        #expect(BinaryCopy.trailer == [0xFF, 0xFF])
    }

    /// Row ("ab", [1.0, -2.0]) as vector: field count 2; id length 2, 'a' 'b'; vector length 4 + 2·4 = 12,
    /// dim 2, unused 0, 1.0 = 0x3F800000, −2.0 = 0xC0000000.
    @Test func aVectorRowByHand() {
        var buffer = ByteBuffer()
        BinaryCopy.appendRow(id: "ab", vectors: [[1.0, -2.0][...]], type: .vector, to: &buffer)
        let expected: [UInt8] = [0, 2, 0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 12, 0, 2, 0, 0,
                                 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0]
        #expect(Array(buffer.readableBytesView) == expected)
        #expect(BinaryCopy.rowBytes(idBytes: 2, widths: [2], type: .vector) == expected.count)
    }

    /// halfvec: 1.0 = 0x3C00, −2.0 = 0xC000, 0.5 = 0x3800; two vector columns.
    @Test func aHalfvecRowWithTwoColumnsByHand() {
        var buffer = ByteBuffer()
        BinaryCopy.appendRow(id: "x", vectors: [[1.0][...], [-2.0, 0.5][...]], type: .halfvec, to: &buffer)
        let expected: [UInt8] = [0, 3, 0, 0, 0, 1, 0x78,
                                 0, 0, 0, 6, 0, 1, 0, 0, 0x3C, 0x00,
                                 0, 0, 0, 8, 0, 2, 0, 0, 0xC0, 0x00, 0x38, 0x00]
        #expect(Array(buffer.readableBytesView) == expected)
        #expect(BinaryCopy.rowBytes(idBytes: 1, widths: [1, 2], type: .halfvec) == expected.count)
    }

    /// bit(10) beside a vector full column: bit_recv's int32 bit count then the bits, first coordinate in the most
    /// significant bit (+1 → 1): [+,−,+,+,−,−,−,−,+,−] → 0b1011_0000, 0b1000_0000; the full column is float32.
    @Test func aBitRowWithAVectorFullColumnByHand() {
        var buffer = ByteBuffer()
        let code: [Float] = [1, -1, 1, 1, -1, -1, -1, -1, 1, -1]
        BinaryCopy.appendRow(id: "x", vectors: [code[...], [1.0][...]], type: .bit, to: &buffer)
        let expected: [UInt8] = [0, 3, 0, 0, 0, 1, 0x78,
                                 0, 0, 0, 6, 0, 0, 0, 10, 0xB0, 0x80,
                                 0, 0, 0, 8, 0, 1, 0, 0, 0x3F, 0x80, 0, 0]
        #expect(Array(buffer.readableBytesView) == expected)
        #expect(BinaryCopy.rowBytes(idBytes: 1, widths: [10, 1], type: .bit) == expected.count)
        #expect(BinaryCopy.text(code[...], as: .bit) == "1011000010")
    }

    /// A bit table's statements: Hamming order (`<~>`) with the `±1` score, and the funnel re-ranking by `vector`.
    @Test func aBitTableIsSearchedByHammingAndReRankedByTheFullVectors() throws {
        let layout = VectorTableLayout(model: "sha256:ab", dimension: 4, fullDimension: 3, type: .bit)
        #expect(layout.columns == #"id text PRIMARY KEY, embedding bit(4), "full" vector(3)"#)
        let search = VectorTableSearch(table: try TableName("codes"), layout: layout)
        let exact = try search.statement(prefix: [1, -1, -1, 1][...], full: nil, k: 10, shortlistSize: nil)
        #expect(exact.sql == #"SELECT id, (4 - 2 * (embedding <~> $1::bit(4)))::float8 FROM "codes" ORDER BY embedding <~> $1::bit(4) LIMIT 10"#)
        let funnel = try search.statement(prefix: [1, -1, -1, 1][...], full: [1, 0, 0][...], k: 10, shortlistSize: 50)
        #expect(funnel.sql.contains(#"ORDER BY embedding <~> $1::bit(4) FETCH FIRST 50 ROWS WITH TIES) AS shortlist ORDER BY "full" <#> $2::vector, id LIMIT 10"#))
        #expect(VectorType.bit.operatorClass == "bit_hamming_ops" && VectorType.halfvec.operatorClass == "halfvec_ip_ops")
    }

    /// A block of rows is the concatenation of its rows, whatever the slice's indices.
    @Test func aBlockIsItsRowsOneAfterAnother() {
        let a = Matrix(rows: 3, columns: 2, storage: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, columns: 1, storage: [7, 8, 9])
        let ids = ["w", "x", "y", "z"][1...]
        for type in VectorType.allCases {
            var block = ByteBuffer(), rows = ByteBuffer()
            BinaryCopy.appendRows(ids: ids, matrices: [a, b], rows: 0 ..< 3, type: type, to: &block)
            for (i, id) in ids.enumerated() {
                BinaryCopy.appendRow(id: id, vectors: [a.storage[2 * i ..< 2 * i + 2], b.storage[i ..< i + 1]], type: type, to: &rows)
            }
            #expect(block == rows)
        }
    }

    /// Rounding to nearest even: 1 + 2⁻¹¹ is halfway between 1 and 1 + 2⁻¹⁰ and goes to 1 (even mantissa).
    @Test func halfBitsRoundToNearestEven() {
        #expect(BinaryCopy.halfBits(1 + 0x1p-11) == 0x3C00)
        #expect(BinaryCopy.halfBits(1 + 0x1p-11 + 0x1p-20) == 0x3C01)
        #expect(BinaryCopy.halfBits(-0.0) == 0x8000)
    }

    @Test func textFormIsShortestRoundTrip() {
        #expect(BinaryCopy.text([0.1, -2, 3.5][...]) == "[0.1,-2.0,3.5]")
    }
}

@Suite struct PostgresURLTests {
    @Test func aFullURL() throws {
        let url = try PostgresURL("postgres://me:s%40cret@db.example:6543/vectors?sslmode=require", environment: [:])
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "me" && url.password == "s@cret")
        #expect(url.database == "vectors" && url.tls == .require)
        #expect(url.description == "postgres://me:***@db.example:6543/vectors?sslmode=require")
        #expect(!url.description.contains("s%40cret") && !url.description.contains("s@cret"))
    }

    @Test func defaultsAndThePasswordFromTheEnvironment() throws {
        let url = try PostgresURL("postgresql://me@localhost/db", environment: ["PGPASSWORD": "pw"])
        #expect(url.port == 5432 && url.tls == .disable && url.password == "pw")
        #expect(url.description == "postgres://me:***@localhost:5432/db")
    }

    @Test(arguments: [
        ("http://me:pw@h/db", "expected postgres://"),
        ("postgres://me:pw@h", "no database"),
        ("postgres://h/db", "no user"),
        ("postgres://me:pw@h/db?sslmode=maybe", "sslmode must be"),
        ("postgres://me:pw@h/db?colour=red", "unknown parameter"),
    ])
    func badURLsSayWhatIsWrongWithoutThePassword(text: String, problem: String) {
        #expect {
            _ = try PostgresURL(text, environment: [:])
        } throws: { error in
            let message = "\(error)"
            return message.contains(problem) && !message.contains(":pw@")
        }
    }

    @Test func redactionHidesOnlyThePassword() {
        #expect(PostgresURL.redact("postgres://me:pw@h/db") == "postgres://me:***@h/db")
        #expect(PostgresURL.redact("postgres://me@h/db") == "postgres://me@h/db")
    }
}

@Suite struct TableLayoutTests {
    @Test func tableNamesAreIdentifiers() throws {
        #expect(try TableName("docs").quoted == "\"docs\"")
        #expect(try TableName("public.docs_64").quoted == "\"public\".\"docs_64\"")
        for bad in ["", "a.b.c", "1abc", "docs; DROP TABLE x", "a\"b", "a-b", String(repeating: "x", count: 64)] {
            #expect(throws: VectorDatabaseError.invalidTableName(bad)) { try TableName(bad) }
        }
    }

    @Test func theCommentRoundTripsAndForeignCommentsAreNotLayouts() {
        let layout = VectorTableLayout(model: "sha256:ab", dimension: 64, fullDimension: 384, type: .halfvec)
        #expect(layout.comment == #"{"dimension":64,"format":"matryoshka-pgvector\/1","full_dimension":384,"model":"sha256:ab","type":"halfvec"}"#)
        #expect(VectorTableLayout(comment: layout.comment) == layout)
        #expect(VectorTableLayout(comment: "customer embeddings") == nil)
        #expect(VectorTableLayout(comment: #"{"format":"other","model":"x","dimension":1,"type":"vector"}"#) == nil)
        #expect(VectorTableLayout(comment: nil) == nil)
        #expect(layout.columns == #"id text PRIMARY KEY, embedding halfvec(64), "full" halfvec(384)"#)
    }

    @Test func mismatchesNameWhatDiffers() {
        let table = VectorTableLayout(model: "sha256:ab", dimension: 64, fullDimension: nil, type: .vector)
        #expect(table.mismatch(with: table) == nil)
        var other = table
        other.dimension = 32
        #expect(table.mismatch(with: other)?.contains("64-d") == true)
        other = table
        other.model = "sha256:cd"
        #expect(table.mismatch(with: other)?.contains("another model") == true)
        other = table
        other.type = .halfvec
        #expect(table.mismatch(with: other)?.contains("--type vector") == true)
        other = table
        other.fullDimension = 384
        #expect(table.mismatch(with: other)?.contains("no full vectors") == true)
    }
}
