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
