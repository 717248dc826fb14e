import Matryoshka
import Synchronization

/// The transform as the server applies it: `dimensions = m` is the size-`m` `EmbeddingPipeline` (the first `m`
/// transformed coordinates, re-normalised; only their work done), built once per `m` and kept.
public final class Embedder: Sendable {
    /// The transform (a model, or the identity for truncation).
    public let transform: any EmbeddingTransform
    private let pipelines = Memo<Int, EmbeddingPipeline>()

    /// An embedder of `transform`.
    public init(_ transform: any EmbeddingTransform) {
        self.transform = transform
    }

    /// The input dimension `d`.
    public var inputDimension: Int { transform.inputDimension }
    /// The output dimension (the largest `dimensions`).
    public var outputDimension: Int { transform.outputDimension }

    /// The pipeline at `m` (default: the whole output); a size outside `1...D` is a 400.
    public func pipeline(_ m: Int? = nil) throws(APIError) -> EmbeddingPipeline {
        let m = m ?? outputDimension
        do {
            return try pipelines.value(m) { () throws(PipelineError) in try EmbeddingPipeline(transform, dimension: m) }
        } catch {
            throw APIError.invalid("'dimensions' must be between 1 and \(outputDimension); got \(m).", param: "dimensions")
        }
    }

    /// Unit-length size-`m` embeddings of raw rows (`n × d` → `n × m`).
    public func embed(_ rows: Matrix, dimensions m: Int?) throws(APIError) -> Matrix {
        try pipeline(m)(rows)
    }
}

/// Values made once per key and kept: the server's pipelines per size and funnel tiers per shortlist size.
final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let values = Mutex<[Key: Value]>([:])

    /// The value of `key`, made by `make` the first time it is asked for (a failure keeps nothing).
    func value<E: Error>(_ key: Key, make: () throws(E) -> Value) throws(E) -> Value {
        try values.withLock { (cache) throws(E) -> Value in
            if let known = cache[key] { return known }
            let made = try make()
            cache[key] = made
            return made
        }
    }
}
