import EmbeddingIO
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct NpyTests {
    let dir = TemporaryDirectory()
    let dict2x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    let values: [Float] = [1, 2, 3, 4, 5, 6]

    /// Asserts that reading `bytes` fails with a message naming the file and containing `fault`.
    func expectReadError(_ bytes: [UInt8], _ fault: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = dir.write(bytes: bytes, to: "bad.npy")
        do {
            _ = try readNpy(path)
            Issue.record("reading succeeded; expected an error about \(fault)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(path), "message names the file: \(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(fault), "message names the fault: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripIsExactAndAligned() throws {
        let m = Fixtures.randomMatrix(rows: 17, columns: 5, seed: 9)
        let path = dir.file("x.npy")
        try writeNpy(m, to: path)
        #expect(try readNpy(path) == m)
        let reader = try NpyReader(path: path)
        #expect(reader.header.dataOffset % 64 == 0)
        #expect(reader.header.rows == 17 && reader.header.columns == 5)
    }

    @Test(arguments: [UInt8(1), 2, 3])
    func readsFormatVersions(version: UInt8) throws {
        let path = dir.write(bytes: Fixtures.npyBytes(dictionary: dict2x3, version: version,
                                                      data: Fixtures.float32Bytes(values)), to: "v.npy")
        #expect(try readNpy(path) == Matrix(rows: 2, columns: 3, storage: values))
    }

    @Test func convertsFloat64AndFloat16() throws {
        let f8 = Fixtures.npyBytes(dictionary: "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }",
                                   data: Fixtures.float64Bytes([0.5, -2, 1e-3]))
        #expect(try readNpy(dir.write(bytes: f8, to: "f8.npy")).storage == [0.5, -2, Float(1e-3)])
        // float16 bit patterns: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, smallest subnormal 2^-24 = 0x0001.
        let halves: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x0001]
        let f2 = Fixtures.npyBytes(dictionary: "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }",
                                   data: halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        #expect(try readNpy(dir.write(bytes: f2, to: "f2.npy")).storage == [1, -2, 0.5, Float(sign: .plus, exponent: -24, significand: 1)])
    }

    @Test func streamsRowsInBlocks() throws {
        let m = Fixtures.randomMatrix(rows: 10, columns: 4, seed: 2)
        let path = dir.file("s.npy")
        try writeNpy(m, to: path)
        let reader = try NpyReader(path: path)
        var rows: [Float] = []
        while reader.remainingRows > 0 { rows += try reader.readRows(3).storage }
        #expect(rows == m.storage)
        #expect(try reader.readRows(3).rows == 0)
    }

    @Test func fortranOrderIsRejected() {
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                          data: Fixtures.float32Bytes(values)), "Fortran")
    }

    /// Codes files: `|u1`, `|i1` and `<f2` read as their bytes; floats (vectors, not codes), another shape or a
    /// short file are refused naming the file.
    @Test func codesFilesReadAsTheirBytes() throws {
        let bytes: [UInt8] = [1, 2, 3, 250, 251, 252]
        for descr in ["|u1", "|i1"] {
            let path = dir.write(bytes: Fixtures.npyBytes(dictionary: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2, 3), }",
                                                          data: bytes), to: "codes.npy")
            let codes = try NpyCodes(path: path)
            #expect(codes.element.rawValue == descr && codes.rows == 2 && codes.columns == 3 && codes.bytes == bytes)
        }
        for (dictionary, data, fault) in [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Fixtures.float32Bytes(values), "expected codes as apply --precision writes them"),
            ("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 3), }", bytes, "truncated"),
            ("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", bytes, "Fortran"),
        ] {
            let path = dir.write(bytes: Fixtures.npyBytes(dictionary: dictionary, data: data), to: "bad-codes.npy")
            #expect { _ = try NpyCodes(path: path) } throws: { error in
                "\(error)".contains(path) && ("\(error)".contains(fault) || "\(error)".lowercased().contains(fault.lowercased()))
            }
        }
    }

    @Test func bigEndianIsRejected() {
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                                          data: Fixtures.float32Bytes(values)), "big-endian")
    }

    @Test(arguments: ["<i4", "<f16", "|u1", "<c8"])
    func otherDtypesAreRejected(descr: String) {
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2, 3), }",
                                          data: Fixtures.float32Bytes(values)), "dtype \(descr) is not supported")
    }

    @Test(arguments: ["(6,)", "(1, 2, 3)", "()"])
    func shapesThatAreNot2DAreRejected(shape: String) {
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }",
                                          data: Fixtures.float32Bytes(values)), "expected a 2-D array")
    }

    @Test func shapesWithoutValuesOrBeyondAnyFileAreRejected() {
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 0), }",
                                          data: []), "rows of no values")
        // 2^62 × 4 elements overflow Int: the header is rejected before its size is compared with the file's.
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                                          data: []), "more data than a file can hold")
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976, 1), }",
                                          data: []), "more data than a file can hold")
    }

    @Test func truncatedDataIsRejected() {
        expectReadError(Fixtures.npyBytes(dictionary: dict2x3, data: Fixtures.float32Bytes(Array(values.prefix(5)))),
                        "truncated: its header promises 24 bytes of data but only 20 follow")
    }

    @Test func trailingBytesAreRejected() {
        expectReadError(Fixtures.npyBytes(dictionary: dict2x3, data: Fixtures.float32Bytes(values + [7])),
                        "4 unexpected bytes")
    }

    @Test func emptyAndForeignFilesAreRejected() {
        expectReadError([], "file is empty")
        expectReadError(Array("query-id\tcorpus-id\tscore\n".utf8), "magic")
        expectReadError(Fixtures.npyBytes(dictionary: "{'descr': '<f4', 'shape': (2, 3), }", data: []), "fortran_order")
        expectReadError(Array(Fixtures.npyBytes(dictionary: dict2x3, data: []).prefix(30)), "cut short")
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: EmbeddingIOError.cannotOpen(path: "\(dir.path)/none.npy", reason: "No such file or directory")) {
            try readNpy("\(dir.path)/none.npy")
        }
    }

    @Test func unfinishedWriteLeavesNoFile() throws {
        let path = dir.file("partial.npy")
        do {
            let writer = try NpyWriter(path: path, rows: 3, columns: 2)
            try writer.append(Matrix([[1, 2]]))
            #expect(throws: EmbeddingIOError.self) { try writer.finish() }
        }
        #expect(!fileExists(path))
        #expect(listDirectory(dir.path).isEmpty, "the temporary file is removed too")
    }

    @Test func randomAccessReadsBlocksAndGathers() throws {
        let m = Fixtures.randomMatrix(rows: 40, columns: 3, seed: 4)
        let path = dir.file("r.npy")
        try writeNpy(m, to: path)
        let file = try NpyFile(path: path)
        #expect(file.rowCount == 40 && file.dimension == 3)
        #expect(try file.block(10 ..< 13) == m.block(10 ..< 13))
        // Any order, repeats, and runs of neighbouring rows.
        let picks = [39, 2, 3, 4, 2, 17, 0]
        #expect(try file.gather(picks) == m.gatherRows(picks))
        var streamed: [Float] = []
        try file.forEachBlock(rows: 7) { first, block in
            #expect(first % 7 == 0)
            streamed += block.storage
        }
        #expect(streamed == m.storage)
    }

    @Test func randomAccessNamesTheBadRow() throws {
        var m = Fixtures.randomMatrix(rows: 30, columns: 4, seed: 5)
        m[21, 2] = .infinity
        for j in 0 ..< 4 { m[9, j] = 0 }
        let path = dir.file("bad-rows.npy")
        try writeNpy(m, to: path)
        let file = try NpyFile(path: path)
        #expect(throws: EmbeddingIOError.zeroVector(path: path, row: 9)) { try file.block(5 ..< 12) }
        #expect(throws: EmbeddingIOError.nonFinite(path: path, row: 21, column: 2, value: .infinity)) {
            try file.gather([3, 21])
        }
        #expect(try file.block(10 ..< 20).rows == 10, "rows without a fault read fine")
        #expect(try NpyFile(path: path, validated: false).block(0 ..< 30) == m)
    }
}
