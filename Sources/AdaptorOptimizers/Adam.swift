import EmbeddingMath
import Foundation

/// Adam (Kingma & Ba, 2015) over any value whose tensors are reachable by key paths.
///
/// For each scalar `θ` with gradient `g` at step `t`:
/// `m ← β₁ m + (1-β₁) g`, `v ← β₂ v + (1-β₂) g²`, `θ ← θ - lr · m̂ / (√v̂ + ε)` with
/// `m̂ = m/(1-β₁ᵗ)`, `v̂ = v/(1-β₂ᵗ)`. Moments live in two values of the parameters' own type.
public struct Adam<Parameters> {
    /// Learning rate.
    public var learningRate: Float
    /// First-moment decay `β₁`.
    public var beta1: Float = 0.9
    /// Second-moment decay `β₂`.
    public var beta2: Float = 0.999
    /// `ε` in the denominator.
    public var epsilon: Float = 1e-8
    /// Steps taken.
    public private(set) var step = 0
    private var firstMoment: Parameters
    private var secondMoment: Parameters
    private let paths: [WritableKeyPath<Parameters, [Float]>]

    /// An optimiser for the tensors at `paths`; `zeros` must have the parameters' shapes and hold zeros.
    public init(learningRate: Float, zeros: Parameters, paths: [WritableKeyPath<Parameters, [Float]>]) {
        self.learningRate = learningRate
        firstMoment = zeros
        secondMoment = zeros
        self.paths = paths
    }

    /// One update of `parameters` along `gradient` (same type and shapes).
    public mutating func update(_ parameters: inout Parameters, along gradient: Parameters) {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        let b1 = beta1, b2 = beta2, eps = epsilon
        let stepSize = learningRate / correction1
        let inverseSqrtCorrection2 = 1 / correction2.squareRoot()
        for path in paths {
            parameters[keyPath: path].withUnsafeMutableBufferPointer { theta in
                gradient[keyPath: path].withUnsafeBufferPointer { g in
                    firstMoment[keyPath: path].withUnsafeMutableBufferPointer { m in
                        secondMoment[keyPath: path].withUnsafeMutableBufferPointer { v in
                            precondition(theta.count == g.count && g.count == m.count, "Adam: shapes differ")
                            // Element-wise, so chunks on the workers give the same bits as one loop.
                            Parallelism.forEachRowChunk(rows: theta.count, columns: 1) { chunk in
                                for i in chunk {
                                    let gi = g[i]
                                    let mi = b1 * m[i] + (1 - b1) * gi
                                    let vi = b2 * v[i] + (1 - b2) * gi * gi
                                    m[i] = mi
                                    v[i] = vi
                                    theta[i] -= stepSize * mi / (vi.squareRoot() * inverseSqrtCorrection2 + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
