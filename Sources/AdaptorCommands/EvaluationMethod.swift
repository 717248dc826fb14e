import AdaptorNN
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import VectorSearch

/// A way of producing Matryoshka embeddings that `evaluate` can score.
enum EvaluationMethod: String, CaseIterable, ExpressibleByArgument {
    /// The raw vectors' first `m` coordinates.
    case truncate
    /// PCA fitted on the corpus.
    case pca
    /// A saved adaptor model (`--adaptor MODEL`), whatever trained it.
    case adaptor
    /// A saved Search-Adaptor model (`--adaptor MODEL`); the same as `adaptor`, named for tables.
    case searchAdaptor = "search-adaptor"
    /// A saved SMEC model (`--adaptor MODEL`); the same as `adaptor`, named for tables.
    case smec

    /// Whether the method reads a saved model.
    var needsModel: Bool { self != .truncate && self != .pca }

    /// The transform for this method, fitted on `corpus` where it needs fitting (PCA: one streaming pass).
    func transform(corpus: RowSource, modelPath: String?, progress: ((Int, Int) -> Void)? = nil) throws -> any EmbeddingTransform {
        switch self {
        case .truncate:
            return IdentityTransform(dimension: corpus.dimension)
        case .pca:
            return try PCATransform.fit(source: corpus, progress: progress)
        case .adaptor, .searchAdaptor, .smec:
            guard let modelPath else { throw ValidationError("--method \(rawValue) needs --adaptor MODEL") }
            let model = try AdaptorModel.load(modelPath)
            try model.checkInputDimension(corpus.dimension, of: corpus.sourceName, modelPath: modelPath)
            return model
        }
    }
}
