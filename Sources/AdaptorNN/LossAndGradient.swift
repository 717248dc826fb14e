import EmbeddingMath

/// What every loss returns: its value and its gradient, whose type mirrors the loss's inputs (as in swift-apis:
/// the gradient of an input has that input's shape).
///
/// `Gradient` is a ``/EmbeddingMath/Matrix`` for a loss of one batch (the distillation and reconstruction terms),
/// ``QueryDocumentGradient`` for one of queries against documents (ranking, and the shared chain rule
/// ``SimilarityLoss/crossSimilarities(_:_:lossAtRow:)``), ``PredictionGradient`` for Search-Adaptor's prediction term.
public struct LossAndGradient<Gradient: Sendable>: Sendable {
    /// The loss (already weighted).
    public var value: Double
    /// `∂L/∂inputs`.
    public var gradient: Gradient

    /// A value and its gradient.
    public init(value: Double, gradient: Gradient) {
        self.value = value
        self.gradient = gradient
    }
}

/// The gradient of a loss of queries (`p × d`) against documents (`r × d`): one matrix per input.
public struct QueryDocumentGradient: Sendable, Equatable {
    /// `∂L/∂queries`, `p × d`.
    public var queries: Matrix
    /// `∂L/∂documents`, `r × d`.
    public var documents: Matrix

    /// A gradient from its parts.
    public init(queries: Matrix, documents: Matrix) {
        self.queries = queries
        self.documents = documents
    }
}

/// The gradient of Search-Adaptor's prediction term: the queries, the documents and the predictor.
public struct PredictionGradient: Sendable, Equatable {
    /// `∂L/∂queries`.
    public var queries: Matrix
    /// `∂L/∂documents`.
    public var documents: Matrix
    /// `∂L/∂g`, the predictor's shape.
    public var predictor: Linear

    /// A gradient from its parts.
    public init(queries: Matrix, documents: Matrix, predictor: Linear) {
        self.queries = queries
        self.documents = documents
        self.predictor = predictor
    }
}

/// How a loss term is reduced over a batch (chosen by the training configuration; the factors it implies are the
/// losses' `weight`).
public enum Reduction: String, Codable, Sendable, CaseIterable {
    /// The paper's literal sums: `Σ_m Σ_{i≠j}`, `Σ_m Σ_{i, j∈NN_k(i)}`, `Σ_i ‖f(x_i)‖₁ / d`.
    case sum
    /// Means over pairs and elements: scale-free across batch sizes.
    case mean
}
