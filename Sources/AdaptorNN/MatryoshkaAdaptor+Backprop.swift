import EmbeddingMath

/// What the forward pass keeps for the backward pass (all `n ×` something, one row per input).
public struct AdaptorForward: Sendable {
    /// `z`, the MLP's input (after the front map).
    public var rotated: Matrix
    /// Pre-activations `a_l = W_l h_{l-1} + b_l` of each hidden layer.
    public var preActivations: [Matrix]
    /// Activations `h_l = act(a_l)` of each hidden layer.
    public var activations: [Matrix]
    /// The residual `f(z)`.
    public var residual: Matrix
    /// The adapted vectors `x̂ = z + f(z)`.
    public var output: Matrix

    /// A forward pass from its parts (tests, and objectives evaluated on given outputs).
    public init(rotated: Matrix, preActivations: [Matrix], activations: [Matrix], residual: Matrix, output: Matrix) {
        self.rotated = rotated
        self.preActivations = preActivations
        self.activations = activations
        self.residual = residual
        self.output = output
    }
}

extension MatryoshkaAdaptor {
    /// The forward pass from `z` (front map already applied), keeping intermediate values.
    public func forward(rotated z: Matrix) -> AdaptorForward {
        var preActivations: [Matrix] = []
        var activations: [Matrix] = []
        var input = z
        for layer in parameters.hidden {
            let a = layer(input)
            let h = configuration.activation(a)
            preActivations.append(a)
            activations.append(h)
            input = h
        }
        let residual = parameters.output(input)
        var output = residual
        output.storage.withUnsafeMutableBufferPointer { o in
            z.storage.withUnsafeBufferPointer { pz in
                for i in 0 ..< o.count { o[i] += pz[i] }
            }
        }
        return AdaptorForward(rotated: z, preActivations: preActivations, activations: activations,
                              residual: residual, output: output)
    }

    /// The backward pass: parameter gradients from the loss gradients at the output and at the residual.
    ///
    /// With `g = ∂L/∂x̂ + ∂L/∂f` (the residual feeds `x̂` through the skip connection):
    /// `∂W_out = gᵀ h_L`, `∂b_out = Σ_rows g`, `δ_L = (g W_out) ⊙ act'(a_L)`, `∂W_l = δ_lᵀ h_{l-1}`,
    /// `∂b_l = Σ_rows δ_l`, `δ_{l-1} = (δ_l W_l) ⊙ act'(a_{l-1})`; for a trained front map,
    /// `∂z = ∂L/∂x̂ + δ_1 W_1` and `∂P = ∂zᵀ x̃`.
    ///
    /// - Parameters:
    ///   - cache: the forward pass of the same batch.
    ///   - outputGradient: `∂L/∂x̂`, `n × d`.
    ///   - residualGradient: `∂L/∂f` from terms on the residual alone (reconstruction), `n × d`, or nil.
    ///   - preprocessed: `x̃`, needed only when the front map is trained.
    public func backward(_ cache: AdaptorForward, outputGradient: Matrix, residualGradient: Matrix?,
                         preprocessed: Matrix? = nil) -> AdaptorParameters {
        var gradient = AdaptorParameters(zerosLike: parameters)
        var g = outputGradient
        if let residualGradient {
            g.storage.withUnsafeMutableBufferPointer { pg in
                residualGradient.storage.withUnsafeBufferPointer { pr in
                    for i in 0 ..< pg.count { pg[i] += pr[i] }
                }
            }
        }
        let depth = parameters.hidden.count
        BLAS.gemm(g, transposeA: true, cache.activations[depth - 1], into: &gradient.output.weight)
        gradient.output.bias = g.columnSums()
        var delta = BLAS.matmul(g, parameters.output.weight)
        let needInputGradient = configuration.trainRotation && parameters.rotation != nil
        for layer in stride(from: depth - 1, through: 0, by: -1) {
            configuration.activation.backward(cache.preActivations[layer], &delta)
            let input = layer == 0 ? cache.rotated : cache.activations[layer - 1]
            BLAS.gemm(delta, transposeA: true, input, into: &gradient.hidden[layer].weight)
            gradient.hidden[layer].bias = delta.columnSums()
            if layer > 0 || needInputGradient { delta = BLAS.matmul(delta, parameters.hidden[layer].weight) }
        }
        if needInputGradient {
            guard let preprocessed else { preconditionFailure("A trained front map needs the preprocessed inputs") }
            // ∂z = ∂L/∂x̂ (skip connection) + δ W_1.
            var dz = outputGradient
            dz.storage.withUnsafeMutableBufferPointer { pz in
                delta.storage.withUnsafeBufferPointer { pd in for i in 0 ..< pz.count { pz[i] += pd[i] } }
            }
            gradient.rotation = BLAS.matmul(dz, transposeA: true, preprocessed)
        }
        return gradient
    }
}

extension MatryoshkaAdaptor {
    /// The forward pass with the MLP's output held at zero (`--form rotation` trains the front map alone): `f(z) = 0`,
    /// `x̂ = z`. No hidden layer is evaluated, since nothing it computes can reach the output; the result has no
    /// hidden values and serves ``frontMapBackward(outputGradient:preprocessed:)`` only.
    public func frontMapForward(rotated z: Matrix) -> AdaptorForward {
        AdaptorForward(rotated: z, preActivations: [], activations: [], residual: Matrix(rows: z.rows, columns: z.columns),
                       output: z)
    }

    /// The front map's gradient when the output layer is zero, `∂P = (∂L/∂x̂)ᵀ x̃` (what
    /// ``backward(_:outputGradient:residualGradient:preprocessed:)`` gives for `P` then, without the MLP's products);
    /// every MLP gradient is left at zero, since that mode does not train them.
    public func frontMapBackward(outputGradient: Matrix, preprocessed: Matrix) -> AdaptorParameters {
        var gradient = AdaptorParameters(zerosLike: parameters)
        gradient.rotation = BLAS.matmul(outputGradient, transposeA: true, preprocessed)
        return gradient
    }
}
