import Foundation

/// Where the size-`m` embeddings come from: the raw vectors' prefixes, PCA fitted on a corpus, or a saved model.
///
/// The one factory behind every caller's "an adaptor, or the raw vectors": ``prepare(dimension:dataName:corpus:progress:)``
/// gives the transform with the fingerprint that names it (recorded in database tables and reports).
public enum EmbeddingMethod: Sendable, Equatable, CustomStringConvertible {
    /// The raw vectors (``/EmbeddingMath/IdentityTransform``): the size-`m` embedding is `x[:m] / ‖x[:m]‖`.
    case truncation
    /// PCA fitted on the corpus (``/VectorSearch/PCATransform``; one streaming pass).
    case pca
    /// A model written by `fit` (any method: Matryoshka-Adaptor, Search-Adaptor, SMEC).
    case model(path: String)

    /// A method from an optional model path: the model, or truncation without one.
    public init(modelPath: String?) {
        self = modelPath.map { .model(path: $0) } ?? .truncation
    }

    /// The model file, for ``model(path:)``; nil for truncation and PCA.
    public var modelPath: String? {
        if case let .model(path) = self { return path }
        return nil
    }

    public var description: String {
        switch self {
        case .truncation: "truncation"
        case .pca: "pca"
        case let .model(path): path
        }
    }

    /// The transform for `d`-dimensional vectors (`nil`: whatever a model takes; truncation and PCA need `d`).
    ///
    /// - Parameters:
    ///   - dimension: the vectors' `d`.
    ///   - dataName: where those vectors come from, for the message when a model takes another width (default: the
    ///     corpus's name).
    ///   - corpus: the corpus PCA is fitted on (needed for ``pca`` only).
    ///   - progress: PCA's rows done and in all.
    /// - Throws: ``/AdaptorNN/AdaptorModelError`` for an unreadable model or one for vectors of another width;
    ///   ``EmbeddingMethodError`` for PCA without a corpus.
    public func prepare(dimension: Int?, dataName: String? = nil, corpus: (any RowSource)? = nil,
                        progress: ((Int, Int) -> Void)? = nil) throws -> PreparedMethod {
        switch self {
        case .truncation:
            guard let d = dimension ?? corpus?.dimension else { throw EmbeddingMethodError.truncationNeedsDimension }
            return PreparedMethod(transform: IdentityTransform(dimension: d), fingerprint: "none", model: nil)
        case .pca:
            guard let corpus else { throw EmbeddingMethodError.pcaNeedsCorpus }
            return PreparedMethod(transform: try PCATransform.fit(source: corpus, progress: progress), fingerprint: "pca",
                                  model: nil)
        case let .model(path):
            let model = try AdaptorModel.load(path)
            if let dimension {
                try model.checkInputDimension(dimension, of: dataName ?? corpus?.sourceName ?? "the data", modelPath: path)
            }
            return PreparedMethod(transform: model, fingerprint: try Self.fingerprint(ofModelFile: path), model: model)
        }
    }

    /// `sha256:<hex>` of a model file (saved models are byte-for-byte deterministic, so this names the weights).
    public static func fingerprint(ofModelFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingIOError.missingFile(path: path, what: "the adaptor model")
        }
        var hash = SHA256()
        hash.update(data)
        return "sha256:" + hash.hexDigest()
    }
}

/// A method made ready: its transform, the fingerprint that names it, and the model when there is one.
public struct PreparedMethod: Sendable {
    /// The transform `T`.
    public let transform: any EmbeddingTransform
    /// `none` (truncation), `pca`, or `sha256:<hex>` of the model file.
    public let fingerprint: String
    /// The loaded model (for its metadata), when the method is one.
    public let model: AdaptorModel?

    /// A model held in memory (fitted here, or loaded by a binding), named by the fingerprint of the file it saves as
    /// (``/AdaptorNN/AdaptorModel/fingerprint()``).
    /// - Throws: ``/AdaptorNN/AdaptorModelError`` when its weights cannot be saved (not finite).
    public init(model: AdaptorModel) throws {
        self.init(transform: model, fingerprint: try model.fingerprint(), model: model)
    }

    init(transform: any EmbeddingTransform, fingerprint: String, model: AdaptorModel?) {
        self.transform = transform
        self.fingerprint = fingerprint
        self.model = model
    }

    /// The size-`m` pipeline (default: the whole output).
    public func pipeline(dimension m: Int? = nil) throws(PipelineError) -> EmbeddingPipeline {
        try EmbeddingPipeline(transform, dimension: m)
    }

    /// The calibration codes of `precisions` use: nil when none is below 16 bits; a model's own (an error when it
    /// was saved without one); for truncation and PCA, one made on `corpus` here
    /// (``/EmbeddingMath/CodeCalibration/of(_:corpus:sampleRows:)``).
    /// - Parameters:
    ///   - precisions: the codes to be made.
    ///   - corpus: the corpus (for truncation and PCA).
    ///   - modelName: the model's name in an error (its path).
    /// - Throws: ``EvaluationError/noCalibration(model:)``; the corpus reader's errors.
    public func calibration(for precisions: [Precision], corpus: any RowSource, modelName: String) throws -> CodeCalibration? {
        guard precisions.contains(where: \.needsCalibration) else { return nil }
        if let model {
            guard let calibration = model.calibration else { throw EvaluationError.noCalibration(model: modelName) }
            return calibration
        }
        return try CodeCalibration.of(transform, corpus: corpus)
    }
}

/// A method that cannot be prepared as asked.
public enum EmbeddingMethodError: Error, Equatable, CustomStringConvertible {
    /// PCA is fitted on a corpus, and there is none here.
    case pcaNeedsCorpus
    /// Truncation of vectors whose dimension nothing gives.
    case truncationNeedsDimension

    public var description: String {
        switch self {
        case .pcaNeedsCorpus: "PCA is fitted on a corpus, and none is given here; save a model with fit instead"
        case .truncationNeedsDimension:
            "truncation (no model) needs the vectors' dimension d: give a model, a corpus, or the dimension"
        }
    }
}
