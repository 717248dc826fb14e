import Hummingbird
import Matryoshka
import Synchronization

/// The transform as the server applies it: `dimensions = m` is the size-`m` `EmbeddingPipeline` (the first `m`
/// transformed coordinates, re-normalised; only their work done). The pipelines of the last `cachedSizes` sizes asked
/// for are kept (each holds about `(h + m) × d` floats for an adaptor), so requests cycling through every size cannot
/// grow memory without bound; another size is built again when asked.
public final class Embedder: Sendable {
    /// The transform (a model, or the identity for truncation).
    public let transform: any EmbeddingTransform
    /// The codes' calibration (`output_dtype` int8, uint8, binary, ubinary): the model's, or nil.
    public let calibration: CodeCalibration?
    private let pipelines: Memo<Int, EmbeddingPipeline>

    /// An embedder of `transform` keeping the pipelines of `cachedSizes` sizes; `calibration` defaults to the
    /// model's own when `transform` is a model.
    public init(_ transform: any EmbeddingTransform, cachedSizes: Int = 16, calibration: CodeCalibration? = nil) {
        self.transform = transform
        self.calibration = calibration ?? (transform as? AdaptorModel)?.calibration
        pipelines = Memo(capacity: cachedSizes)
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

    /// Unit-length size-`m` embeddings of raw rows (`n × d` → `n × m`); a row whose embedding has no direction or is
    /// not finite is an error with `status` (400 for a client's vectors, 502 for the upstream's).
    public func embed(_ rows: Matrix, dimensions m: Int?, status: HTTPResponse.Status = .badRequest) throws(APIError) -> Matrix {
        let pipeline = try pipeline(m)
        do {
            return try pipeline.checked(rows)
        } catch {
            throw APIError.noDirection(error, status: status)
        }
    }
}

extension Embedder {
    /// The calibration `dtype` needs (nil for float); a 400 naming `output_dtype` when the model has none.
    public func calibration(for dtype: OutputDType) throws(APIError) -> CodeCalibration? {
        guard dtype.precision != nil else { return nil }
        guard let calibration else {
            throw APIError.invalid("'output_dtype' \(dtype.rawValue) needs the codes' calibration, which this server's "
                                   + "model does not hold (fit it again with this version); ask for float.", param: "output_dtype")
        }
        return calibration
    }

    /// The size-`m` codes of raw rows for `dtype` (int8 and uint8: one level per coordinate; binary and ubinary:
    /// the centred signs packed eight to a byte), from the unit full vectors and the model's calibration; nil for
    /// `float`. A 400 when the model has no calibration; rows are checked as ``embed(_:dimensions:status:)`` does.
    public func codes(_ rows: Matrix, dimensions m: Int?, dtype: OutputDType,
                      status: HTTPResponse.Status = .badRequest) throws(APIError) -> CodeMatrix? {
        guard let precision = dtype.precision, let calibration = try calibration(for: dtype) else { return nil }
        let pipeline = try pipeline(m)
        do {
            return CodeMatrix(encoding: try pipeline.checkedUnitTransformed(rows), dimension: pipeline.dimension,
                              precision: precision, calibration: calibration)
        } catch {
            throw APIError.noDirection(error, status: status)
        }
    }
}

/// Values made once per key, the `capacity` most recently used kept (the least recently used goes first).
final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private let state = Mutex<(values: [Key: Value], order: [Key])>(([:], []))

    init(capacity: Int) {
        precondition(capacity >= 1, "A memo keeps at least one value")
        self.capacity = capacity
    }

    /// How many values are kept now.
    var count: Int { state.withLock { $0.values.count } }

    /// The value of `key`, made by `make` when it is not kept (a failure keeps nothing).
    func value<E: Error>(_ key: Key, make: () throws(E) -> Value) throws(E) -> Value {
        try state.withLock { (state) throws(E) -> Value in
            if let known = state.values[key] {
                state.order.removeAll { $0 == key }
                state.order.append(key)
                return known
            }
            let made = try make()
            state.values[key] = made
            state.order.append(key)
            if state.order.count > capacity { state.values[state.order.removeFirst()] = nil }
            return made
        }
    }
}
