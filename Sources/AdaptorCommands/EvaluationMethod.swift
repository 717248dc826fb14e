import ArgumentParser
import Matryoshka

/// A way of producing Matryoshka embeddings that `evaluate` and `report` can score, by its command-line name.
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

    /// The library's method: a model needs its path.
    func embeddingMethod(model: String?) throws -> EmbeddingMethod {
        switch self {
        case .truncate: return .truncation
        case .pca: return .pca
        case .adaptor, .searchAdaptor, .smec:
            guard let model else { throw ValidationError("--method \(rawValue) needs --adaptor MODEL") }
            return .model(path: model)
        }
    }
}
