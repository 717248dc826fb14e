import EmbeddingIO
import EmbeddingMath
import Testing

@Suite struct SHA256Tests {
    func hex(_ text: String) -> String {
        var hash = SHA256()
        hash.update(Array(text.utf8))
        return hash.hexDigest()
    }

    @Test func standardTestVectors() {
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
}
