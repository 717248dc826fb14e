import EmbeddingMath

/// An affine layer's parameters: `y = W x + b` with `W` of shape `outputs × inputs`.
///
/// Applied to a batch as rows: `Y = X Wᵀ + 1 bᵀ` (`n × inputs` → `n × outputs`). The same struct holds
/// the layer's gradient, which has exactly the same shape.
public struct Linear: Sendable, Equatable {
    /// Weights, `outputs × inputs`.
    public var weight: Matrix
    /// Bias, `outputs` values.
    public var bias: [Float]

    /// A layer from explicit parameters.
    public init(weight: Matrix, bias: [Float]) {
        precondition(bias.count == weight.rows, "Linear: \(bias.count) biases for \(weight.rows) outputs")
        self.weight = weight
        self.bias = bias
    }

    /// All-zero parameters (the output layer's start, and the shape of a gradient).
    public init(inputs: Int, outputs: Int) {
        weight = Matrix(rows: outputs, columns: inputs)
        bias = [Float](repeating: 0, count: outputs)
    }

    /// Weights `U(-1/√inputs, 1/√inputs)`, PyTorch's default for `nn.Linear` (Kaiming-uniform with
    /// `a = √5`), and zero bias.
    public init(inputs: Int, outputs: Int, generator: inout SeededGenerator) {
        let bound = 1 / Float(inputs).squareRoot()
        weight = Matrix(rows: outputs, columns: inputs)
        for i in weight.storage.indices { weight.storage[i] = (generator.nextUnitFloat() * 2 - 1) * bound }
        bias = [Float](repeating: 0, count: outputs)
    }

    /// Number of inputs.
    public var inputs: Int { weight.columns }
    /// Number of outputs.
    public var outputs: Int { weight.rows }

    /// `X Wᵀ + 1 bᵀ` for a batch `X` of `n × inputs`.
    public func callAsFunction(_ x: Matrix) -> Matrix {
        let width = outputs
        var y = bias.withUnsafeBufferPointer { b in
            Matrix(rows: x.rows, columns: width) { out in
                let pointers = UncheckedSendable((out.baseAddress, b.baseAddress!))
                Parallelism.forEachRowChunk(rows: x.rows, columns: width) { rows in
                    for i in rows { (pointers.value.0! + i * width).update(from: pointers.value.1, count: width) }
                }
            }
        }
        BLAS.gemm(x, weight, transposeB: true, beta: 1, into: &y)
        return y
    }
}

extension Matrix {
    /// The sum of all rows (`columns` values): the bias gradient of a batch.
    public func columnSums() -> [Float] {
        var sums = [Float](repeating: 0, count: columns)
        let columns = self.columns
        storage.withUnsafeBufferPointer { buffer in
            sums.withUnsafeMutableBufferPointer { s in
                for i in 0 ..< rows {
                    let p = buffer.baseAddress! + i * columns
                    for j in 0 ..< columns { s[j] += p[j] }
                }
            }
        }
        return sums
    }
}
