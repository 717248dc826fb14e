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

    /// The transform for this method, fitted on `dataset`'s corpus where it needs fitting.
    func transform(for dataset: Dataset) throws -> any EmbeddingTransform {
        switch self {
        case .truncate:
            return IdentityTransform(dimension: dataset.corpus.dimension)
        case .pca:
            return try PCATransform.fit(corpus: dataset.corpus.vectors)
        }
    }
}
