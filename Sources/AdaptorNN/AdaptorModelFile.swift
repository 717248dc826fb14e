import EmbeddingIO
import EmbeddingMath
import Foundation

/// A trained adaptor as saved on disk: the weights, the architecture, the Matryoshka sizes it was trained
/// for, and how it was trained.
///
/// Stored as safetensors (tensors `rotation` `[d, d]` when present, `mean` `[d]` when centring,
/// `hidden.<l>.weight` `[h, in]`, `hidden.<l>.bias` `[h]`, `output.weight` `[d, h]`, `output.bias` `[d]`,
/// `permutation` `[d]` (I32) when the output coordinates are reordered, and `codes.centre`, `codes.spread`,
/// `codes.low`, `codes.high` `[d]` when the model carries a ``/EmbeddingMath/CodeCalibration``), with string metadata:
/// `format`, `method`, `library_version`, `input_dimension`, `hidden_dimension`, `depth`, `activation`,
/// `normalization`, `rotation`, `matryoshka_sizes`, `configuration` (JSON), `training` (JSON) and
/// `data_fingerprint`.
public struct AdaptorModel: Sendable {
    /// The adaptor.
    public var adaptor: MatryoshkaAdaptor
    /// The sizes `M` it was trained for.
    public var sizes: MatryoshkaSizes
    /// Which method trained it (`matryoshka-adaptor`, `search-adaptor`, `smec`).
    public var method: String
    /// Training settings and outcome as a JSON object string (deterministic: no clock times).
    public var training: String
    /// SHA-256 fingerprint of the training vectors (see `EmbeddingSet.fingerprint`).
    public var dataFingerprint: String
    /// An output coordinate order (`x̂ ↦ x̂[permutation]`) applied after the adaptor, or nil.
    public var permutation: [Int]?
    /// The statistics of the training corpus's unit adapted vectors that fix the int8, int4, int2 and binary codes
    /// (``/EmbeddingMath/CodeCalibration``), or nil for a model saved without them (fits before codes existed).
    public var calibration: CodeCalibration?

    static let format = "matryoshka-adaptor/1"

    /// A model from its parts.
    public init(adaptor: MatryoshkaAdaptor, sizes: MatryoshkaSizes, method: String, training: String,
                dataFingerprint: String, permutation: [Int]? = nil) {
        if let permutation {
            precondition(permutation.sorted() == Array(0 ..< adaptor.outputDimension), "Not a permutation of 0..<d")
        }
        self.adaptor = adaptor
        self.sizes = sizes
        self.method = method
        self.training = training
        self.dataFingerprint = dataFingerprint
        self.permutation = permutation
    }

    /// Writes the model atomically; the same model always gives the same bytes.
    ///
    /// - Throws: ``AdaptorModelError/nonFinite(path:name:index:value:)`` (nothing written) when a weight is NaN or
    ///   infinite, as a diverged fit leaves them: ``load(_:)`` would refuse the file.
    public func save(to path: String) throws {
        let (tensors, metadata) = try contents(path: path)
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }

    /// `sha256:<hex>` of the file ``save(to:)`` writes (equal to `EmbeddingMethod.fingerprint(ofModelFile:)` of that
    /// file), computed in memory: the name of these weights in reports and database tables.
    /// - Throws: ``AdaptorModelError/nonFinite(path:name:index:value:)`` when a weight is NaN or infinite.
    public func fingerprint() throws -> String {
        let (tensors, metadata) = try contents(path: "<memory>")
        var hash = SHA256()
        hash.update(try Safetensors.encoded(tensors, metadata: metadata))
        return "sha256:" + hash.hexDigest()
    }

    /// The tensors and metadata of the model's file (`path` names it in an error).
    private func contents(path: String) throws -> (tensors: [String: SafetensorsTensor], metadata: [String: String]) {
        let config = adaptor.configuration
        let parameters = adaptor.parameters
        var tensors: [String: SafetensorsTensor] = [:]
        var firstBad: AdaptorModelError?
        func check(_ name: String, _ values: [Float], _ shape: [Int]) {
            if firstBad == nil, let bad = values.firstIndex(where: { !$0.isFinite }) {
                firstBad = .nonFinite(path: path, name: name, index: Self.position(bad, shape: shape), value: values[bad])
            }
        }
        func put(_ name: String, _ matrix: Matrix) {
            check(name, matrix.storage, [matrix.rows, matrix.columns])
            tensors[name] = SafetensorsTensor(shape: [matrix.rows, matrix.columns], values: .float32(matrix.storage))
        }
        func put(_ name: String, _ vector: [Float]) {
            check(name, vector, [vector.count])
            tensors[name] = SafetensorsTensor(shape: [vector.count], values: .float32(vector))
        }
        if let rotation = parameters.rotation { put("rotation", rotation) }
        if let mean = adaptor.mean { put("mean", mean) }
        for (l, layer) in parameters.hidden.enumerated() {
            put("hidden.\(l).weight", layer.weight)
            put("hidden.\(l).bias", layer.bias)
        }
        put("output.weight", parameters.output.weight)
        put("output.bias", parameters.output.bias)
        if let permutation {
            tensors["permutation"] = SafetensorsTensor(shape: [permutation.count], values: .int32(permutation.map(Int32.init)))
        }
        if let calibration {
            put("codes.centre", calibration.centre)
            put("codes.spread", calibration.spread)
            put("codes.low", calibration.low)
            put("codes.high", calibration.high)
        }
        if let firstBad { throw firstBad }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata: [String: String] = [
            "format": Self.format,
            "method": method,
            "library_version": matryoshkaLibraryVersion,
            "input_dimension": String(config.inputDimension),
            "hidden_dimension": String(config.hiddenDimension),
            "depth": String(config.depth),
            "activation": config.activation.rawValue,
            "normalization": config.centering ? "l2,center" : "l2",
            "rotation": config.rotation.rawValue + (config.trainRotation ? ",trained" : ",frozen"),
            "matryoshka_sizes": sizes.sizes.map(String.init).joined(separator: ","),
            "configuration": String(decoding: try encoder.encode(config), as: UTF8.self),
            "training": training,
            "data_fingerprint": dataFingerprint,
        ]
        return (tensors, metadata)
    }

    /// Reads a model, checking the format and every tensor's shape against the stored configuration.
    public static func load(_ path: String) throws -> AdaptorModel {
        let (tensors, metadata) = try Safetensors.read(path)
        func fail(_ problem: String) -> AdaptorModelError { .invalid(path: path, problem: problem) }
        guard metadata["format"] == format else {
            throw fail("metadata 'format' is \(metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'")
        }
        guard let configJSON = metadata["configuration"],
              let config = try? JSONDecoder().decode(AdaptorConfiguration.self, from: Data(configJSON.utf8))
        else { throw fail("metadata 'configuration' is missing or not an adaptor configuration") }
        let d = config.inputDimension, h = config.hiddenDimension
        guard d > 0, h > 0, config.depth >= 1 else { throw fail("configuration has d = \(d), h = \(h), depth = \(config.depth)") }
        var used = Set<String>()
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let t = tensors[name] else { throw AdaptorModelError.missingTensor(path: path, name: name) }
            guard t.shape == shape, let values = t.floats else {
                throw AdaptorModelError.shapeMismatch(path: path, name: name, expected: shape, actual: t.shape)
            }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw AdaptorModelError.nonFinite(path: path, name: name, index: Self.position(bad, shape: shape),
                                                  value: values[bad])
            }
            used.insert(name)
            return values
        }
        var hidden: [Linear] = []
        for l in 0 ..< config.depth {
            let inputs = l == 0 ? d : h
            hidden.append(Linear(weight: Matrix(rows: h, columns: inputs, storage: try tensor("hidden.\(l).weight", [h, inputs])),
                                 bias: try tensor("hidden.\(l).bias", [h])))
        }
        let output = Linear(weight: Matrix(rows: d, columns: h, storage: try tensor("output.weight", [d, h])),
                            bias: try tensor("output.bias", [d]))
        let rotation = config.rotation == .identity ? nil
            : Matrix(rows: d, columns: d, storage: try tensor("rotation", [d, d]))
        let mean = config.centering ? try tensor("mean", [d]) : nil
        var permutation: [Int]?
        if let p = tensors["permutation"] {
            guard p.shape == [d], case let .int32(values) = p.values,
                  values.map(Int.init).sorted() == Array(0 ..< d)
            else { throw fail("tensor 'permutation' must be an I32 permutation of 0..<\(d)") }
            permutation = values.map(Int.init)
            used.insert("permutation")
        }
        var calibration: CodeCalibration?
        if tensors["codes.centre"] != nil {
            calibration = CodeCalibration(centre: try tensor("codes.centre", [d]), spread: try tensor("codes.spread", [d]),
                                          low: try tensor("codes.low", [d]), high: try tensor("codes.high", [d]))
        }
        if let extra = Set(tensors.keys).subtracting(used).sorted().first {
            throw fail("unexpected tensor '\(extra)' for this configuration")
        }
        guard let sizesText = metadata["matryoshka_sizes"] else { throw fail("metadata 'matryoshka_sizes' is missing") }
        let sizeValues = sizesText.split(separator: ",").compactMap { Int($0) }
        guard !sizeValues.isEmpty, sizeValues.allSatisfy({ $0 >= 1 && $0 <= d }) else {
            throw fail("metadata 'matryoshka_sizes' '\(sizesText)' is not a list of sizes in 1...\(d)")
        }
        let adaptor = MatryoshkaAdaptor(configuration: config,
                                        parameters: AdaptorParameters(rotation: rotation, hidden: hidden, output: output),
                                        mean: mean)
        var model = AdaptorModel(adaptor: adaptor, sizes: MatryoshkaSizes(sizeValues, dimension: d),
                                 method: metadata["method"] ?? "matryoshka-adaptor", training: metadata["training"] ?? "{}",
                                 dataFingerprint: metadata["data_fingerprint"] ?? "", permutation: permutation)
        model.calibration = calibration
        return model
    }

    /// The row-major multi-index of flat position `flat` in a tensor of `shape`.
    static func position(_ flat: Int, shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    /// Throws unless the model takes `dimension`-d vectors such as those of `dataPath`.
    public func checkInputDimension(_ dimension: Int, of dataPath: String, modelPath: String) throws(AdaptorModelError) {
        guard dimension == adaptor.inputDimension else {
            throw .dimensionMismatch(modelPath: modelPath, modelDimension: adaptor.inputDimension,
                                     dataPath: dataPath, dataDimension: dimension)
        }
    }
}

extension AdaptorModel: EmbeddingTransform {
    /// The dimension `d` of accepted vectors.
    public var inputDimension: Int { adaptor.inputDimension }
    /// The output dimension (equal to `d`).
    public var outputDimension: Int { adaptor.outputDimension }

    /// The adapted vectors `x̂[permutation]` (`n × d`), by the fused inference pass at `m = d`
    /// (``PrefixInference``; it folds the front map into the first layer, a `d × d × h` product per call, so
    /// callers that apply block after block build the transform once with ``prefixTransform(_:)`` or an
    /// `EmbeddingPipeline`).
    public func apply(_ x: Matrix) -> Matrix {
        PrefixInference(model: self, dimension: outputDimension).apply(x)
    }

    /// The first `m` coordinates, computing only those (``PrefixInference``, fused per tile; every coordinate at
    /// `m = d`). The unfused ``MatryoshkaAdaptor/apply(_:)`` of the training code gives the same values up to float
    /// rounding (tested).
    public func prefixTransform(_ m: Int) -> any EmbeddingTransform {
        PrefixInference(model: self, dimension: m)
    }
}

/// Problems with a model file or its use, naming the file.
public enum AdaptorModelError: Error, Equatable, CustomStringConvertible {
    /// The file is not a model this version understands.
    case invalid(path: String, problem: String)
    /// A tensor the configuration needs is absent.
    case missingTensor(path: String, name: String)
    /// A tensor has the wrong shape (or dtype).
    case shapeMismatch(path: String, name: String, expected: [Int], actual: [Int])
    /// A weight is NaN or infinite (a corrupted file, or a fit that diverged): `index` is its position in the tensor.
    case nonFinite(path: String, name: String, index: [Int], value: Float)
    /// The model's input dimension differs from the data's.
    case dimensionMismatch(modelPath: String, modelDimension: Int, dataPath: String, dataDimension: Int)

    public var description: String {
        switch self {
        case let .invalid(path, problem):
            return "\(path): not a usable adaptor model: \(problem)"
        case let .missingTensor(path, name):
            return "\(path): tensor '\(name)' is missing"
        case let .shapeMismatch(path, name, expected, actual):
            return "\(path): tensor '\(name)' has shape \(actual), expected \(expected) (F32)"
        case let .nonFinite(path, name, index, value):
            return "\(path): tensor '\(name)' holds \(value) at \(index); every weight must be finite (the file is "
                + "corrupted, or the fit that wrote it diverged: fit again, with a lower --learning-rate)"
        case let .dimensionMismatch(modelPath, modelDimension, dataPath, dataDimension):
            return "\(modelPath) takes \(modelDimension)-d vectors but \(dataPath) holds \(dataDimension)-d vectors"
        }
    }
}
