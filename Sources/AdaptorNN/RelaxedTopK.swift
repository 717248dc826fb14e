import Foundation

/// A differentiable relaxation of keeping `k` of `c` coordinates, for SMEC's adaptive dimension selection:
/// a Gumbel-Softmax over {keep, drop} for every coordinate (the binary Concrete distribution) with one
/// shared threshold that holds the soft count at `k`.
///
/// With scores `s = a + g` (learnable importances `a`, Gumbel noise `g`) and temperature `τ`:
/// `mask_j = σ((s_j - t) / τ)`, where `t` solves `Σ_j mask_j = k` (found by bisection). As `τ → 0` the mask
/// becomes the indicator of the `k` largest scores. Differentiating the constraint implicitly gives, with
/// `σ'_j = mask_j (1 - mask_j) / τ` and `ū = Σ σ'_j u_j / Σ σ'_j`, the backward pass
/// `∂L/∂s_j = σ'_j (u_j - ū)` for `u = ∂L/∂mask`: one pass, stable for any `k` (the sequential-softmax
/// relaxation of Xie & Ermon overflows in the backward pass when `k` is in the hundreds).
public struct RelaxedTopK: Sendable {
    /// The soft mask, `c` values in (0, 1) summing to `k`.
    public let mask: [Float]
    /// `σ'_j` for the backward pass.
    let slopes: [Double]

    /// The forward pass over `scores = a + g` (`c` values), keeping `k ≤ c`.
    public init(scores: [Float], k: Int, temperature: Float) {
        precondition(k >= 0 && k <= scores.count, "Cannot keep \(k) of \(scores.count) coordinates")
        precondition(temperature > 0, "The temperature must be positive")
        guard k > 0, k < scores.count else {
            mask = [Float](repeating: k == 0 ? 0 : 1, count: scores.count)
            slopes = [Double](repeating: 0, count: scores.count)
            return
        }
        let tau = Double(temperature)
        let s = scores.map(Double.init)
        func count(_ t: Double) -> Double { s.reduce(0) { $0 + 1 / (1 + exp(-($1 - t) / tau)) } }
        var low = s.min()! - 60 * tau, high = s.max()! + 60 * tau
        for _ in 0 ..< 200 {
            let middle = (low + high) / 2
            if count(middle) > Double(k) { low = middle } else { high = middle }
        }
        let t = (low + high) / 2
        let m = s.map { 1 / (1 + exp(-($0 - t) / tau)) }
        mask = m.map(Float.init)
        slopes = m.map { $0 * (1 - $0) / tau }
    }

    /// `∂L/∂scores` (= `∂L/∂a`) from `∂L/∂mask`.
    public func backward(_ maskGradient: [Float]) -> [Float] {
        let total = slopes.reduce(0, +)
        guard total > 0 else { return [Float](repeating: 0, count: slopes.count) }
        let mean = zip(slopes, maskGradient).reduce(0) { $0 + $1.0 * Double($1.1) } / total
        return zip(slopes, maskGradient).map { Float($0.0 * (Double($0.1) - mean)) }
    }

    /// Standard Gumbel noise `-log(-log U)` for `count` coordinates.
    public static func gumbelNoise(count: Int, generator: inout some RandomNumberGenerator) -> [Float] {
        (0 ..< count).map { _ in
            let u = Double.random(in: Double.ulpOfOne ..< 1, using: &generator)
            return Float(-log(-log(u)))
        }
    }
}
