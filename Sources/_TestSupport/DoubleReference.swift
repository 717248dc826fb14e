import AdaptorNN
import EmbeddingMath
import Foundation
import Testing

/// Independent double-precision forward passes that the finite-difference tests differentiate numerically.
/// They restate the formulas of METHOD.md directly, sharing no code with the Float implementation.
public enum DoubleReference {
    /// `Σ_{j<m} a_j b_j / (‖a[:m]‖ ‖b[:m]‖)`, 0 when either prefix is zero.
    public static func prefixCosine(_ a: [Double], _ b: [Double], _ m: Int) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for j in 0 ..< m {
            dot += a[j] * b[j]
            na += a[j] * a[j]
            nb += b[j] * b[j]
        }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }

    /// `Σ_m Σ_pairs w |t - sim_m|`.
    public static func similarityLoss(_ y: [[Double]], pairs: [(Int, Int)], targets: [Double], sizes: [Int], weight: Double) -> Double {
        var total = 0.0
        for (p, (i, j)) in pairs.enumerated() {
            for m in sizes { total += weight * abs(targets[p] - prefixCosine(y[i], y[j], m)) }
        }
        return total
    }

    /// All ordered pairs `i ≠ j` of `n` rows.
    public static func orderedPairs(_ n: Int) -> [(Int, Int)] {
        (0 ..< n).flatMap { i in (0 ..< n).filter { $0 != i }.map { (i, $0) } }
    }


    public static func activation(_ kind: Activation, _ a: Double) -> Double {
        switch kind {
        case .relu: return max(a, 0)
        case .tanh: return tanh(a)
        case .silu: return a / (1 + exp(-a))
        case .gelu: return 0.5 * a * (1 + tanh((2 / Double.pi).squareRoot() * (a + 0.044715 * a * a * a)))
        }
    }

    /// The adaptor's forward pass `x̂ = z + f(z)`, `z = P x̃`, from the preprocessed input `x̃`; returns `(x̂, f(z))`.
    public static func adaptor(_ p: AdaptorParameters, _ activationKind: Activation, _ x: [Double]) -> (output: [Double], residual: [Double]) {
        func affine(_ layer: Linear, _ input: [Double]) -> [Double] {
            (0 ..< layer.outputs).map { o in
                (0 ..< layer.inputs).reduce(Double(layer.bias[o])) { $0 + Double(layer.weight[o, $1]) * input[$1] }
            }
        }
        var z = x
        if let r = p.rotation {
            z = (0 ..< r.rows).map { o in (0 ..< r.columns).reduce(0.0) { $0 + Double(r[o, $1]) * x[$1] } }
        }
        var h = z
        for layer in p.hidden { h = affine(layer, h).map { activation(activationKind, $0) } }
        let residual = affine(p.output, h)
        return (zip(z, residual).map(+), residual)
    }
}

/// Central differences `(f(θ+ε) - f(θ-ε)) / 2ε` of a Double function of one scalar.
public func centralDifference(_ epsilon: Double = 1e-6, _ f: (Double) -> Double) -> Double {
    (f(epsilon) - f(-epsilon)) / (2 * epsilon)
}

/// Expects every entry `[i, j]` of an analytic gradient (`rows × columns`) to agree with the central difference
/// of the Double function `f` in entry `[i][j]` of `point` (the same shape); a failure names `name[i, j]`.
public func expectGradient(_ analytic: Matrix, matches f: ([[Double]]) -> Double, at point: [[Double]],
                           name: String = "gradient", relative: Double = 2e-3, absolute: Double = 1e-4,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    for i in 0 ..< analytic.rows {
        for j in 0 ..< analytic.columns {
            let numeric = centralDifference { e in
                var moved = point
                moved[i][j] += e
                return f(moved)
            }
            #expect(agree(Double(analytic[i, j]), numeric, relative: relative, absolute: absolute),
                    "\(name)[\(i), \(j)]: \(analytic[i, j]) vs \(numeric)", sourceLocation: sourceLocation)
        }
    }
}

/// Whether `a` and `b` agree to a relative tolerance with an absolute floor.
public func agree(_ a: Double, _ b: Double, relative: Double = 2e-3, absolute: Double = 1e-4) -> Bool {
    abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
}

extension Matrix {
    /// The rows as Double arrays.
    public var doubleRows: [[Double]] { nestedRows.map { $0.map(Double.init) } }
}

/// The largest `|a_ij - b_ij|` of two matrices of the same shape.
public func maxAbsoluteDifference(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(a.rows == b.rows && a.columns == b.columns, "Shapes differ: \(a.rows) × \(a.columns) and \(b.rows) × \(b.columns)")
    return zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
}
