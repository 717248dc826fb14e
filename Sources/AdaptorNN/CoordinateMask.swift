import EmbeddingMath

/// A soft selection of output coordinates applied to a batch: `v = y ⊙ mask` (the mask broadcast over rows).
///
/// SMEC scores a size-`m` embedding as the masked vector, so a loss `L(v)` reaches the adaptor through
/// `∂L/∂y = ∂L/∂v ⊙ mask` and the selection through `∂L/∂mask_j = Σ_rows ∂L/∂v_rj · y_rj`.
public struct CoordinateMask: Sendable {
    /// One weight per coordinate (`d` values).
    public var weights: [Float]

    /// A mask with one weight per coordinate.
    public init(weights: [Float]) {
        self.weights = weights
    }

    /// `y ⊙ mask`.
    public func apply(_ y: Matrix) -> Matrix {
        precondition(y.columns == weights.count, "Mask of \(weights.count) for \(y.columns) columns")
        var out = y
        let d = y.columns
        out.storage.withUnsafeMutableBufferPointer { p in
            weights.withUnsafeBufferPointer { w in
                for i in 0 ..< y.rows { for j in 0 ..< d { p[i * d + j] *= w[j] } }
            }
        }
        return out
    }

    /// The gradients of `y` and of the mask weights from `∂L/∂v`.
    public func backward(_ maskedGradient: Matrix, inputs y: Matrix) -> (inputs: Matrix, weights: [Float]) {
        let d = y.columns
        var dy = Matrix(rows: y.rows, columns: d)
        var dw = [Float](repeating: 0, count: d)
        maskedGradient.storage.withUnsafeBufferPointer { g in
            y.storage.withUnsafeBufferPointer { py in
                weights.withUnsafeBufferPointer { w in
                    dy.storage.withUnsafeMutableBufferPointer { out in
                        for i in 0 ..< y.rows {
                            for j in 0 ..< d {
                                out[i * d + j] = g[i * d + j] * w[j]
                                dw[j] += g[i * d + j] * py[i * d + j]
                            }
                        }
                    }
                }
            }
        }
        return (dy, dw)
    }
}
