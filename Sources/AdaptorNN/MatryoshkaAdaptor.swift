import EmbeddingMath

/// The Matryoshka-Adaptor (arXiv 2407.20243): a residual MLP on frozen embeddings whose output prefixes
/// keep the retrieval quality of the full vectors.
///
/// `x̂ = z + f(z)`, `z = P x̃`, `x̃ = x/‖x‖ (- μ)`, `f(z) = W_out act(… act(W_1 z + b_1) …) + b_out`.
/// The Matryoshka embedding of size `m` is `x̂[:m]`, compared by cosine after re-normalisation.
///
/// This is the training form: its forward pass keeps every intermediate that the hand-written backward pass needs.
/// Everything that only applies a trained model (apply, search, evaluation, the server, the database) goes through
/// ``AdaptorModel``, whose transform is the fused ``PrefixInference``; ``apply(_:)`` here is the reference that the
/// fused pass is tested equal to.
public struct MatryoshkaAdaptor: Sendable {
    /// The architecture.
    public var configuration: AdaptorConfiguration
    /// The weights.
    public var parameters: AdaptorParameters
    /// The centring vector `μ` (`d` values) when ``AdaptorConfiguration/centering`` is on.
    public var mean: [Float]?

    /// The dimension `d` of accepted vectors.
    public var inputDimension: Int { configuration.inputDimension }
    /// The output dimension: the residual adaptor keeps `d`.
    public var outputDimension: Int { configuration.inputDimension }

    /// An adaptor from saved parts; shapes are checked.
    public init(configuration: AdaptorConfiguration, parameters: AdaptorParameters, mean: [Float]?) {
        let d = configuration.inputDimension, h = configuration.hiddenDimension
        precondition(parameters.hidden.count == configuration.depth, "Adaptor depth mismatch")
        precondition(parameters.hidden.first?.inputs == d && parameters.output.outputs == d, "Adaptor d mismatch")
        precondition(parameters.hidden.allSatisfy { $0.outputs == h } && parameters.output.inputs == h, "Adaptor h mismatch")
        precondition(parameters.rotation.map { $0.rows == d && $0.columns == d } ?? true, "Rotation must be d × d")
        precondition((mean != nil) == configuration.centering, "A mean is stored exactly when centring is on")
        self.configuration = configuration
        self.parameters = parameters
        self.mean = mean
    }

    /// A freshly initialised adaptor: hidden layers random from `seed`, output layer zero (so the adaptor
    /// starts as `x̂ = P x̃`), `P` and `μ` fitted on `corpus` (`N × d`, raw vectors) when the configuration
    /// asks for them.
    public init(configuration: AdaptorConfiguration, corpus: Matrix, seed: UInt64) throws(MathError) {
        precondition(corpus.columns == configuration.inputDimension,
                     "Corpus has dimension \(corpus.columns), adaptor expects \(configuration.inputDimension)")
        try self.init(configuration: configuration, statistics: CovarianceAccumulator(rows: corpus.normalizedRows()),
                      seed: seed)
    }

    /// A freshly initialised adaptor whose `P` (the principal axes) and `μ` come from the mean and covariance of
    /// the **normalised** corpus, accumulated in one pass (see ``/EmbeddingMath/CovarianceAccumulator``).
    public init(configuration: AdaptorConfiguration, statistics: CovarianceAccumulator, seed: UInt64) throws(MathError) {
        let d = configuration.inputDimension
        precondition(statistics.dimension == d, "Statistics of \(statistics.dimension)-d vectors, adaptor expects \(d)")
        var generator = SeededGenerator(seed: seed)
        var hidden: [Linear] = []
        for layer in 0 ..< configuration.depth {
            hidden.append(Linear(inputs: layer == 0 ? d : configuration.hiddenDimension,
                                 outputs: configuration.hiddenDimension, generator: &generator))
        }
        let mean = configuration.centering ? statistics.mean().map(Float.init) : nil
        var rotation: Matrix?
        if configuration.rotation == .principalAxes {
            rotation = Matrix(rows: d, columns: d, storage: try statistics.principalAxes().vectors.map(Float.init))
        }
        self.init(configuration: configuration,
                  parameters: AdaptorParameters(rotation: rotation, hidden: hidden,
                                                output: Linear(inputs: configuration.hiddenDimension, outputs: d)),
                  mean: mean)
    }

    /// `x̃ = x/‖x‖ (- μ)` for a batch of raw vectors.
    public func preprocess(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "Adaptor expects \(inputDimension)-d vectors, got \(x.columns)")
        var out = x.normalizedRows()
        if let mean { out.subtractFromRows(mean) }
        return out
    }

    /// `z = x̃ Pᵀ` (or `x̃` itself without a front map).
    public func rotate(_ preprocessed: Matrix) -> Matrix {
        guard let rotation = parameters.rotation else { return preprocessed }
        return BLAS.matmul(preprocessed, rotation, transposeB: true)
    }

    /// Adapted vectors `x̂` for raw inputs `x` (`n × d` → `n × d`), by the unfused training forward pass.
    public func apply(_ x: Matrix) -> Matrix {
        forward(rotated: rotate(preprocess(x))).output
    }
}
