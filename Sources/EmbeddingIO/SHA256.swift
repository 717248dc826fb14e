import EmbeddingMath
import _CKernels

/// SHA-256 (FIPS 180-4), used for data fingerprints recorded in model files and reports.
///
/// The block function is C (`_CKernels/sha256.c`): the CPU's SHA extensions where it has them (about 1.5 GB/s
/// here, so fingerprinting a 3 GB corpus costs a couple of seconds), a portable loop elsewhere; both are checked
/// against the standard test vectors. Hand-written rather than pulling in a cryptography package for one digest.
public struct SHA256 {
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    private let allowExtensions: Bool

    /// An empty hash state; `useCPUExtensions: false` forces the portable block function (for tests).
    public init(useCPUExtensions: Bool = true) {
        allowExtensions = useCPUExtensions
    }

    /// Whether this CPU's SHA extensions are used.
    public static var usesCPUExtensions: Bool { matryoshka_sha256_uses_extensions() != 0 }

    /// Feeds bytes.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ update(raw: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update(raw: $0) }
    }

    /// Feeds the in-memory bytes of an array of trivial values (e.g. `[Float]`, little-endian here).
    public mutating func update<T: BitwiseCopyable>(contentsOf values: [T]) {
        values.withUnsafeBytes { update(raw: $0) }
    }

    private mutating func update(raw: UnsafeRawBufferPointer) {
        length &+= UInt64(raw.count)
        var bytes = raw[...]
        if !buffer.isEmpty {
            let take = min(64 - buffer.count, bytes.count)
            buffer += bytes.prefix(take)
            bytes = bytes.dropFirst(take)
            guard buffer.count == 64 else { return }
            buffer.withUnsafeBufferPointer { compress($0.baseAddress!, blocks: 1) }
            buffer.removeAll(keepingCapacity: true)
        }
        let whole = bytes.count / 64
        if whole > 0 {
            let start = raw.baseAddress!.advanced(by: bytes.startIndex).assumingMemoryBound(to: UInt8.self)
            compress(start, blocks: whole)
        }
        buffer += bytes.suffix(bytes.count - whole * 64)
    }

    private mutating func compress(_ data: UnsafePointer<UInt8>, blocks: Int) {
        let allow: Int32 = allowExtensions ? 1 : 0
        state.withUnsafeMutableBufferPointer { matryoshka_sha256_blocks($0.baseAddress!, data, blocks, allow) }
    }

    /// The digest as 64 lowercase hex characters.
    public consuming func hexDigest() -> String {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        tail += [UInt8](repeating: 0, count: (55 - Int(length % 64) + 64) % 64)
        tail += (0 ..< 8).map { UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64($0))) }
        update(tail)
        return state.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }
}

extension EmbeddingSet {
    /// A fingerprint of the vectors as used: SHA-256 of `"<rows>x<columns>\n"` then the float32
    /// little-endian values, row-major. Equal vectors give equal fingerprints whatever the file format.
    public static func fingerprint(_ vectors: EmbeddingMath.Matrix) -> String {
        var hash = SHA256()
        hash.update(Array("\(vectors.rows)x\(vectors.columns)\n".utf8))
        hash.update(contentsOf: vectors.storage)
        return hash.hexDigest()
    }
}
