import EmbeddingMath
import Foundation

/// The nonlinearity between the adaptor's layers, applied elementwise.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// `max(a, 0)` (the default, as in the paper's MLP).
    case relu
    /// GELU, tanh approximation: `½ a (1 + tanh(√(2/π) (a + 0.044715 a³)))`.
    case gelu
    /// `tanh(a)`.
    case tanh
    /// SiLU / swish: `a σ(a)`.
    case silu

    /// `h_i = act(a_i)` over `count` values.
    public func apply(_ a: UnsafePointer<Float>, _ h: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for i in 0 ..< count { h[i] = max(a[i], 0) }
        case .gelu:
            for i in 0 ..< count { h[i] = Self.gelu(a[i]).value }
        case .tanh:
            for i in 0 ..< count { h[i] = Foundation.tanh(a[i]) }
        case .silu:
            for i in 0 ..< count { h[i] = a[i] / (1 + exp(-a[i])) }
        }
    }

    /// `g_i ← g_i · act'(a_i)`: the backward pass through the activation, in place.
    public func backward(_ a: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for i in 0 ..< count where a[i] <= 0 { g[i] = 0 }
        case .gelu:
            for i in 0 ..< count { g[i] *= Self.gelu(a[i]).derivative }
        case .tanh:
            for i in 0 ..< count {
                let t = Foundation.tanh(a[i])
                g[i] *= 1 - t * t
            }
        case .silu:
            for i in 0 ..< count {
                let s = 1 / (1 + exp(-a[i]))
                g[i] *= s * (1 + a[i] * (1 - s))
            }
        }
    }

    /// `act(A)` elementwise for a matrix of pre-activations (row chunks in parallel when large).
    public func callAsFunction(_ a: Matrix) -> Matrix {
        var h = Matrix(rows: a.rows, columns: a.columns)
        a.storage.withUnsafeBufferPointer { pa in
            h.storage.withUnsafeMutableBufferPointer { ph in
                let pointers = UncheckedSendable((pa.baseAddress!, ph.baseAddress!))
                Parallelism.forEachRowChunk(rows: a.rows, columns: a.columns) { rows in
                    let offset = rows.lowerBound * a.columns
                    apply(pointers.value.0 + offset, pointers.value.1 + offset, count: rows.count * a.columns)
                }
            }
        }
        return h
    }

    /// `G ← G ⊙ act'(A)` for matrices of gradients and pre-activations of the same shape (in parallel when large).
    public func backward(_ a: Matrix, _ g: inout Matrix) {
        precondition(a.rows == g.rows && a.columns == g.columns, "Activation backward: shapes differ")
        a.storage.withUnsafeBufferPointer { pa in
            g.storage.withUnsafeMutableBufferPointer { pg in
                let pointers = UncheckedSendable((pa.baseAddress!, pg.baseAddress!))
                Parallelism.forEachRowChunk(rows: a.rows, columns: a.columns) { rows in
                    let offset = rows.lowerBound * a.columns
                    backward(pointers.value.0 + offset, pointers.value.1 + offset, count: rows.count * a.columns)
                }
            }
        }
    }

    /// GELU (tanh form) and its derivative at `a`.
    static func gelu(_ a: Float) -> (value: Float, derivative: Float) {
        let c: Float = 0.797_884_56 // √(2/π)
        let inner = c * (a + 0.044715 * a * a * a)
        let t = Foundation.tanh(inner)
        let value = 0.5 * a * (1 + t)
        let derivative = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * c * (1 + 3 * 0.044715 * a * a)
        return (value, derivative)
    }
}
