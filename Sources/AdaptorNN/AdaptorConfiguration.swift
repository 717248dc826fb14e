/// How the adaptor's orthogonal front map `P` starts.
public enum RotationStart: String, Codable, Sendable, CaseIterable {
    /// No front map: `x̂ = x + f(x)`, the paper's identity start.
    case identity
    /// `P` = the eigenvectors of the corpus covariance (sorted by eigenvalue), applied without subtracting
    /// the mean, so every full-dimension cosine is kept and prefixes start where PCA is (METHOD.md).
    case principalAxes = "principal-axes"
}

/// The architecture of a Matryoshka adaptor: everything needed to rebuild it from its weights.
///
/// `x̂ = P x̃ + f(P x̃)` with `x̃ = x/‖x‖ (- μ)`, `f = Linear_out ∘ act ∘ Linear_depth ∘ … ∘ act ∘ Linear_1`;
/// hidden layers have `hiddenDimension` units; the output layer starts at zero, so `x̂ = P x̃` at step 0.
public struct AdaptorConfiguration: Codable, Sendable, Equatable {
    /// Input (and output) dimension `d`.
    public var inputDimension: Int
    /// Hidden units per layer `h` (default `d`).
    public var hiddenDimension: Int
    /// Number of hidden layers (default 1: one hidden layer, two weight matrices).
    public var depth: Int
    /// Nonlinearity after each hidden layer.
    public var activation: Activation
    /// Whether inputs are centred by the corpus mean `μ` of the normalised vectors before the adaptor.
    public var centering: Bool
    /// How the front map `P` starts (or whether there is one).
    public var rotation: RotationStart
    /// Whether `P` is trained (unconstrained) or kept frozen.
    public var trainRotation: Bool

    /// A configuration; `hiddenDimension` defaults to `inputDimension`.
    public init(inputDimension: Int, hiddenDimension: Int? = nil, depth: Int = 1, activation: Activation = .relu,
                centering: Bool = false, rotation: RotationStart = .principalAxes, trainRotation: Bool = false) {
        self.inputDimension = inputDimension
        self.hiddenDimension = hiddenDimension ?? inputDimension
        self.depth = depth
        self.activation = activation
        self.centering = centering
        self.rotation = rotation
        self.trainRotation = trainRotation
    }

    enum CodingKeys: String, CodingKey {
        case inputDimension = "input_dimension", hiddenDimension = "hidden_dimension", depth, activation
        case centering, rotation, trainRotation = "train_rotation"
    }
}
