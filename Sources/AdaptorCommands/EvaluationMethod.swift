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
    /// A saved adaptor model (`--adaptor MODEL`).
    case adaptor

    /// The transform for this method, fitted on `dataset`'s corpus where it needs fitting.
    func transform(for dataset: Dataset, modelPath: String?) throws -> any EmbeddingTransform {
        switch self {
        case .truncate:
            return IdentityTransform(dimension: dataset.corpus.dimension)
        case .pca:
            return try PCATransform.fit(corpus: dataset.corpus.vectors)
        case .adaptor:
            guard let modelPath else { throw ValidationError("--method adaptor needs --adaptor MODEL") }
            let model = try AdaptorModel.load(modelPath)
            try model.checkInputDimension(dataset.corpus.dimension, of: dataset.corpus.vectorsPath, modelPath: modelPath)
            return model
        }
    }
}
