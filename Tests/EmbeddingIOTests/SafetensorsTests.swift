import EmbeddingIO
import Testing
import _TestSupport

@Suite struct SafetensorsTests {
    let dir = TemporaryDirectory()

    @Test func roundTripKeepsTensorsAndMetadata() throws {
        let path = dir.file("m.safetensors")
        let tensors: [String: SafetensorsTensor] = [
            "b": SafetensorsTensor(shape: [2, 3], values: .float32([1, 2, 3, 4, 5, 6])),
            "a": SafetensorsTensor(shape: [3], values: .int32([2, 0, 1])),
        ]
        try Safetensors.write(tensors, metadata: ["format": "x", "k": "v"], to: path)
        let (read, metadata) = try Safetensors.read(path)
        #expect(read == tensors && metadata == ["format": "x", "k": "v"])
    }

    @Test func layoutIsTheSafetensorsFormat() throws {
        let path = dir.file("layout.safetensors")
        try Safetensors.write(["w": SafetensorsTensor(shape: [1, 2], values: .float32([1, -2]))], metadata: [:], to: path)
        let bytes = try #require(readBytes(path))
        let headerLength = (0 ..< 8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8 ..< 8 + headerLength], as: UTF8.self)
        #expect(header.hasPrefix(#"{"w":{"data_offsets":[0,8],"dtype":"F32","shape":[1,2]}}"#))
        #expect(Array(bytes[(8 + headerLength)...]) == Fixtures.float32Bytes([1, -2]))
    }

    @Test func damagedFilesAreClearErrors() throws {
        let path = dir.file("ok.safetensors")
        try Safetensors.write(["w": SafetensorsTensor(shape: [4], values: .float32([1, 2, 3, 4]))], metadata: [:], to: path)
        let bytes = try #require(readBytes(path))
        let truncated = dir.write(bytes: Array(bytes.dropLast(4)), to: "cut.safetensors")
        do {
            _ = try Safetensors.read(truncated)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains(truncated) && error.description.contains("truncated"))
        }
        let empty = dir.write(bytes: [], to: "empty.safetensors")
        #expect(throws: EmbeddingIOError.emptyFile(path: empty, expected: "a safetensors model file")) { try Safetensors.read(empty) }
        let garbage = dir.write(bytes: [8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8), to: "garbage.safetensors")
        #expect(throws: EmbeddingIOError.invalidSafetensors(path: garbage, problem: "the safetensors header is not a JSON object")) {
            try Safetensors.read(garbage)
        }
    }

    /// Shapes with a negative size or a product past `Int` are named errors, not traps (a negative size once made
    /// `data_offsets` [4, 0] look consistent; a huge one overflowed the byte count).
    @Test(arguments: [
        (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[4,0]}}"#, "sizes must be non-negative"),
        (#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#, "sizes must be non-negative and fit"),
        (#"{"w":{"dtype":"F32","shape":[2305843009213693951],"data_offsets":[0,9223372036854775804]}}"#, "truncated"),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, "has data_offsets [8, 4]"),
    ])
    func impossibleShapesAndOffsetsAreClearErrors(header: String, fault: String) {
        let json = Array(header.utf8)
        let length = (0 ..< 8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) }
        let path = dir.write(bytes: length + json + [0, 0, 0, 0, 0, 0, 0, 0], to: "shape.safetensors")
        do {
            _ = try Safetensors.read(path)
            Issue.record("expected an error about \(fault)")
        } catch {
            #expect(error.description.contains(path) && error.description.contains(fault), "\(error)")
        }
    }

    func readBytes(_ path: String) -> [UInt8]? { Fixtures.bytes(of: path) }
}
