import EmbeddingIO
import EmbeddingMath
import Testing

@Suite struct SHA256Tests {
    func hex(_ text: String, extensions: Bool = true) -> String {
        var hash = SHA256(useCPUExtensions: extensions)
        hash.update(Array(text.utf8))
        return hash.hexDigest()
    }

    /// The FIPS 180-4 examples and the 1,000-byte vector, through both block functions (the CPU's SHA
    /// extensions where it has them, and the portable loop).
    @Test(arguments: [true, false])
    func standardTestVectors(extensions: Bool) {
        let hex = { self.hex($0, extensions: extensions) }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func incrementalUpdatesEqualOneUpdate() {
        var split = SHA256()
        split.update(Array("abcdbcdecdefdefgefghfghighijhij".utf8))
        split.update(Array("kijkljklmklmnlmnomnopnopq".utf8))
        #expect(split.hexDigest() == hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
    }

    @Test func fingerprintDependsOnValuesAndShape() {
        let a = Matrix([[1, 2], [3, 4]])
        #expect(EmbeddingSet.fingerprint(a) == EmbeddingSet.fingerprint(Matrix([[1, 2], [3, 4]])))
        #expect(EmbeddingSet.fingerprint(a) != EmbeddingSet.fingerprint(Matrix([[1, 2], [3, 5]])))
        #expect(EmbeddingSet.fingerprint(a) != EmbeddingSet.fingerprint(Matrix([[1, 2, 3, 4]])))
    }

    @Test func bothBlockFunctionsAgreeOnLongUnevenInput() {
        let bytes = (0 ..< 100_003).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        var fast = SHA256(), portable = SHA256(useCPUExtensions: false)
        for chunk in stride(from: 0, to: bytes.count, by: 4_099) {
            fast.update(bytes[chunk ..< min(chunk + 4_099, bytes.count)])
            portable.update(bytes[chunk ..< min(chunk + 4_099, bytes.count)])
        }
        #expect(fast.hexDigest() == portable.hexDigest())
    }
}
