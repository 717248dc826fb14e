import _CKernels

/// Tight vector kernels over raw pointers, written so that release builds vectorise them.
///
/// A plain scalar float reduction never vectorises (it would reorder additions); these use
/// `SIMD16<Float>` with several accumulators instead (about 12× faster, see STACK.md).
public enum Kernels {
    /// `Σ_i a[i] * b[i]` over `count` elements.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= count {
            let a0 = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let b0 = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let a1 = ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            let b1 = rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            acc0.addProduct(a0, b0)
            acc1.addProduct(a1, b1)
            i += 32
        }
        if i + 16 <= count {
            acc0.addProduct(ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                            rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `‖x‖₂` over `count` elements without overflow or underflow: `√(Σ x_i²)` when that sum is a normal float (the
    /// fast path, and the only one ordinary vectors take), else `s · ‖x/s‖₂` with `s = max_i |x_i|`, so a vector of
    /// 1e30s or of denormals has its true length (`+∞` when that exceeds `Float.greatestFiniteMagnitude`; NaN when a
    /// value is NaN; 0 only for a zero vector).
    @inlinable
    public static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let squares = dot(x, x, count: count)
        if squares.isNormal, squares.isFinite { return squares.squareRoot() }
        let largest = maxMagnitude(x, count: count)
        guard largest > 0, largest.isFinite else { return largest.isNaN || squares.isNaN ? .nan : largest }
        var sum: Float = 0
        for i in 0 ..< count {
            let v = x[i] / largest
            sum += v * v
        }
        return largest * sum.squareRoot()
    }

    /// Scales `x` (`count` elements) to unit Euclidean length in place and returns whether it could: `false` for a zero
    /// vector (left zero) or one holding NaN or ±∞ (left as it is). The common case is `x ← x / √(Σ x_i²)`; a vector
    /// whose squared length over- or underflows float32 is first divided by its largest magnitude, so 1e30s and
    /// denormals get a direction instead of becoming zero.
    @inlinable
    @discardableResult
    public static func normalize(_ x: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        let squares = dot(x, x, count: count)
        if squares.isNormal, squares.isFinite {
            scale(x, by: 1 / squares.squareRoot(), count: count)
            return true
        }
        let largest = maxMagnitude(x, count: count)
        guard largest > 0, largest.isFinite, !squares.isNaN else { return false }
        // Divided, not multiplied by 1/largest: the reciprocal of a denormal is infinite.
        for i in 0 ..< count { x[i] /= largest }
        let rescaled = dot(x, x, count: count)
        scale(x, by: 1 / rescaled.squareRoot(), count: count)
        return true
    }

    /// `max_i |x_i|` over `count` elements (NaN when one is NaN, 0 for none).
    @inlinable
    public static func maxMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var largest: Float = 0
        for i in 0 ..< count {
            let v = abs(x[i])
            if v.isNaN { return .nan }
            largest = max(largest, v)
        }
        return largest
    }

    /// `x[i] ← x[i] * factor` over `count` elements.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0 ..< count { x[i] *= factor }
    }

    /// The offset of the first of `count` values greater than `threshold`, or `count` if there is none.
    @inlinable
    public static func firstAbove(_ x: UnsafePointer<Float>, count: Int, threshold: Float) -> Int {
        count <= 0 ? 0 : matryoshka_first_above(x, count, threshold)
    }

    /// A row's state from its bits: `.nonFinite` if a value is NaN or ±∞, `.zero` if every value is ±0, else `.valid`.
    public static func rowState(_ x: UnsafePointer<Float>, count: Int) -> RowState {
        switch matryoshka_row_state(x, count) {
        case 1: return .nonFinite
        case 2: return .zero
        default: return .valid
        }
    }

    /// The Hamming distance from the packed binary code `query` (`bytes` bytes) to each of `count` codes stored one after
    /// another at `codes`: `distances[i] = popcount(query XOR codes[i])` (64 bits at a time, the `popcnt` instruction).
    @inlinable
    public static func hammingDistances(_ query: UnsafePointer<UInt8>, _ codes: UnsafePointer<UInt8>, count: Int, bytes: Int,
                                        into distances: UnsafeMutablePointer<UInt16>) {
        matryoshka_hamming_distances(query, codes, count, bytes, distances)
    }

    /// The `k` codes nearest to each of `queryCount` packed query codes by Hamming distance, among `count` codes of
    /// `bytes` bytes whose corpus indices are `firstIndex ..< firstIndex + count`.
    ///
    /// Writes `indices` and `distances` (`queryCount × k`, row-major) ascending by (distance, index), so ties go to
    /// the earlier code; slots beyond `count` get index −1 and distance `Int32.max`. The codes are read in
    /// cache-sized tiles that every query meets before the next tile (FAISS's blocking), so memory traffic is one
    /// pass over the codes per call rather than per query.
    @inlinable
    public static func hammingTopK(queries: UnsafePointer<UInt8>, queryCount: Int, codes: UnsafePointer<UInt8>, count: Int,
                                   bytes: Int, firstIndex: Int, k: Int, indices: UnsafeMutablePointer<Int32>,
                                   distances: UnsafeMutablePointer<Int32>) {
        matryoshka_hamming_top_k(queries, queryCount, codes, count, bytes, firstIndex, k, indices, distances)
    }

    /// int8 codes back to the values they stand for: `out[i·m + j] = low[j] + width[j] · level / 255` with `level` the
    /// stored two's-complement byte + 128, for `rows` rows of `m` bytes (`width = high − low`, the calibration's
    /// range), bit-identical to ``/EmbeddingMath/CodeMatrix/decoded(calibration:)``'s formula.
    @inlinable
    public static func decodeInt8(_ codes: UnsafePointer<UInt8>, rows: Int, m: Int, low: UnsafePointer<Float>,
                                  width: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        matryoshka_decode_int8(codes, rows, m, low, width, out)
    }

    /// The cosine of the unit query `q` (`m` values) and each of `rows` int8 codes (`m` two's-complement bytes each),
    /// decoded on the fly as `low[j] + step[j] · (byte + 128)`: `scores[i] = q · x_i / ‖x_i‖` (0 for a zero row), one
    /// pass over the codes with nothing decoded to memory (the scan of a few queries).
    @inlinable
    public static func int8Cosines(query q: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, rows: Int, m: Int,
                                   low: UnsafePointer<Float>, step: UnsafePointer<Float>, into scores: UnsafeMutablePointer<Float>) {
        matryoshka_int8_cosines(q, codes, rows, m, low, step, scores)
    }

    /// What ``rowState(_:count:)`` finds.
    public enum RowState: Sendable { case valid, nonFinite, zero }

    /// `Σ_i |x_i|` over `count` values, writing `gradient_i = weight · sign(x_i)` (0 at 0): an L1 term and
    /// its subgradient in one pass.
    @inlinable
    public static func l1AndSign(_ x: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int,
                                 weight: Float) -> Double {
        count <= 0 ? 0 : matryoshka_l1_sign(x, gradient, count, weight)
    }
}
