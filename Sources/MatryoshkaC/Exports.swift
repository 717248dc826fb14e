import Foundation
import Matryoshka

// The C ABI of the library (header: matryoshka.h beside this file). Every function that can fail returns a status
// (0 done, 1 an error, 2 stopped by mtr_task_cancel) and sets *error to the library's message (free it with
// mtr_free); arrays are float32 in C order, owned by the caller, read or written in place. Nothing here traps on
// the caller's arguments: each is checked before the library sees it.

/// The version of this ABI (the bindings refuse a library of another).
@c public func mtr_abi_version() -> Int32 { 1 }

/// The library's version text (static; do not free).
@c public func mtr_library_version() -> UnsafePointer<CChar> { libraryVersion }

nonisolated(unsafe) private let libraryVersion: UnsafePointer<CChar> = UnsafePointer(strdup(matryoshkaLibraryVersion)!)

/// Frees a string the library returned.
@c public func mtr_free(_ pointer: UnsafeMutablePointer<CChar>?) { free(pointer) }

/// Cores the library uses when a call's `threads` is 0.
@c public func mtr_available_cores() -> Int64 { Int64(Parallelism.availableCores) }

// MARK: Tasks

/// A task for one long call: `callback(context, done, total, line)` gets its progress (from the calling thread or
/// a worker; may be null), and `mtr_task_cancel` stops it at the next check, from any thread.
@c public func mtr_task_new(_ callback: MTRProgressCallback?, _ context: UnsafeMutableRawPointer?) -> OpaquePointer {
    retainedHandle(TaskHandle(callback: callback, context: context))
}

/// Asks the call running with `task` to stop; it returns status 2 and writes nothing.
@c public func mtr_task_cancel(_ task: OpaquePointer?) { Unmanaged<TaskHandle>.object(task)?.flag.cancel() }

/// Frees a task (after the call using it has returned).
@c public func mtr_task_free(_ task: OpaquePointer?) {
    if let task { Unmanaged<TaskHandle>.fromOpaque(UnsafeRawPointer(task)).release() }
}

// MARK: Models

/// Loads a model file written by `matryoshka fit` (or mtr_model_save) into `*model`.
@c public func mtr_model_load(_ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) { _ in
        guard let path, let model else { throw ArgumentError("mtr_model_load: a path and a result are needed") }
        let file = String(cString: path)
        model.pointee = retainedHandle(ModelHandle(method: try EmbeddingMethod.model(path: file).prepare(dimension: nil), path: file))
    }
}

/// Saves a model atomically (the same bytes as `matryoshka fit` writes for the same fit).
@c public func mtr_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) { _ in
        guard let handle = Unmanaged<ModelHandle>.object(model), let path else {
            throw ArgumentError("mtr_model_save: a model and a path are needed")
        }
        let file = String(cString: path)
        try handle.model.save(to: file)
        handle.path = file
    }
}

/// A model's description as JSON (`*json`, freed with mtr_free): input and output dimensions, sizes, method,
/// centring, calibration, fingerprints and the training record.
@c public func mtr_model_info(_ model: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                              _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) { _ in
        guard let handle = Unmanaged<ModelHandle>.object(model), let json else {
            throw ArgumentError("mtr_model_info: a model and a result are needed")
        }
        let m = handle.model
        let info: [String: Any] = [
            "input_dimension": m.inputDimension, "output_dimension": m.outputDimension, "sizes": m.sizes.sizes,
            "method": m.method, "centred": m.adaptor.configuration.centering, "calibrated": m.calibration != nil,
            "fingerprint": handle.fingerprint, "data_fingerprint": m.dataFingerprint, "training": m.training,
            "hidden_dimension": m.adaptor.configuration.hiddenDimension, "depth": m.adaptor.configuration.depth,
            "library_version": matryoshkaLibraryVersion,
        ]
        let data = try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])
        json.pointee = copiedString(String(decoding: data, as: UTF8.self))
    }
}

/// Frees a model handle.
@c public func mtr_model_free(_ model: OpaquePointer?) {
    if let model { Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release() }
}

/// The size-`dimension` embeddings of `x` (`rows × columns`) into `out` (`rows × dimension`, unit rows), or with
/// `dimension` 0 the transformed vectors `T(x)` (`rows × D`, not normalised), as `matryoshka apply` writes them.
/// `model` null: truncation of the raw vectors. Rows whose embedding is zero or not finite are an error naming
/// the row (nothing useful is left in `out`).
@c public func mtr_transform(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64,
                             _ dimension: Int64, _ out: UnsafeMutablePointer<Float>?, _ threads: Int64, _ task: OpaquePointer?,
                             _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        let input = try BorrowedRows(x, rows: rows, columns: columns, name: "X", allowEmpty: true)
        guard let out else { throw ArgumentError("mtr_transform: no output array") }
        let pipeline = try pipelineFor(model, input: input, dimension: dimension)
        let output: EmbeddingPipeline.FileOutput = dimension == 0 ? .transformed : .embeddings
        let width = pipeline.width(of: output)
        try pipeline.forEachBlock(of: input, output: output) { first, block in
            block.storage.withUnsafeBufferPointer { (out + first * width).update(from: $0.baseAddress!, count: $0.count) }
            task?.report(first + block.rows, input.rowCount, "transformed")
        }
    }
}

/// The output width of mtr_transform (`dimension`, or `D` for 0), so the caller can allocate `out`.
@c public func mtr_transform_width(_ model: OpaquePointer?, _ columns: Int64, _ dimension: Int64, _ width: UnsafeMutablePointer<Int64>?,
                                   _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) { _ in
        guard let width else { throw ArgumentError("mtr_transform_width: no result") }
        guard columns >= 1 else { throw ArgumentError("X: needs at least one column, got \(columns)") }
        let d = Int(columns)
        let output = Unmanaged<ModelHandle>.object(model)?.model.outputDimension ?? d
        guard dimension >= 0, dimension <= output else {
            throw ArgumentError("dimension must be between 1 and the output dimension \(output) (or 0 for the whole vector), got \(dimension)")
        }
        width.pointee = dimension == 0 ? Int64(output) : dimension
    }
}

/// The pipeline of `model` (or truncation) at `dimension` (0: the whole output) for `input`'s rows.
func pipelineFor(_ model: OpaquePointer?, input: BorrowedRows, dimension: Int64) throws -> EmbeddingPipeline {
    let prepared = try prepared(model, dimension: input.dimension, of: input.sourceName)
    let output = prepared.transform.outputDimension
    guard dimension >= 0, dimension <= output else {
        throw ArgumentError("dimension must be between 1 and the output dimension \(output) (or 0 for the whole vector), got \(dimension)")
    }
    let m = dimension == 0 ? nil : Int(dimension)
    if let handle = Unmanaged<ModelHandle>.object(model) { return try handle.pipeline(dimension: m) }
    return try prepared.pipeline(dimension: m)
}

/// The method of `model`, or truncation of `d`-dimensional vectors.
func prepared(_ model: OpaquePointer?, dimension d: Int, of dataName: String) throws -> PreparedMethod {
    if let handle = Unmanaged<ModelHandle>.object(model) { return try handle.prepared(inputDimension: d, of: dataName) }
    return try EmbeddingMethod.truncation.prepare(dimension: d)
}

// MARK: Codes

/// How the codes of `precision` (`float32`, `float16`, `int8`, `int4`, `int2`, `binary`) at size `dimension` are
/// laid out, as `matryoshka apply --precision` writes them: `*columns` per row and the numpy type `*dtype` (`<f4`,
/// `<f2`, `|i1` or `|u1`, freed with mtr_free).
@c public func mtr_code_layout(_ precision: UnsafePointer<CChar>?, _ dimension: Int64, _ columns: UnsafeMutablePointer<Int64>?,
                               _ dtype: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                               _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error) { _ in
        guard let columns, let dtype else { throw ArgumentError("mtr_code_layout: no results") }
        guard dimension >= 1 else { throw ArgumentError("dimension must be positive, got \(dimension)") }
        let layout = EmbeddingPipeline.codeFileLayout(try precisionArgument(precision), dimension: Int(dimension))
        columns.pointee = Int64(layout.columns)
        dtype.pointee = copiedString(layout.element.rawValue)
    }
}

/// The codes of `x` (`rows × columns`) at size `dimension` and `precision` into `out` (`rows ×` mtr_code_layout's
/// columns, of its type), with the model's calibration: what `matryoshka apply --dimension m --precision P` writes.
@c public func mtr_encode(_ model: OpaquePointer?, _ x: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64, _ dimension: Int64,
                          _ precision: UnsafePointer<CChar>?, _ out: UnsafeMutableRawPointer?, _ threads: Int64,
                          _ task: OpaquePointer?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        guard let handle = Unmanaged<ModelHandle>.object(model) else {
            throw ArgumentError("codes use the calibration a fit stores in the model: an adaptor is needed")
        }
        guard let out else { throw ArgumentError("mtr_encode: no output array") }
        guard dimension >= 1 else { throw ArgumentError("codes are of a size: dimension must be positive, got \(dimension)") }
        let precision = try precisionArgument(precision)
        let input = try BorrowedRows(x, rows: rows, columns: columns, name: "X", allowEmpty: true)
        let pipeline = try pipelineFor(model, input: input, dimension: dimension)
        let calibration = try handle.method.calibration(for: [precision], corpus: input, modelName: handle.name)
        let layout = EmbeddingPipeline.codeFileLayout(precision, dimension: Int(dimension))
        let rowBytes = layout.columns * layout.element.size
        try pipeline.forEachCodeBlock(of: input, precision: precision, calibration: calibration) { first, codes in
            codes.bytes.withUnsafeBytes { (out + first * rowBytes).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            task?.report(first + codes.rows, input.rowCount, "encoded")
        }
    }
}

/// The precision the caller named.
func precisionArgument(_ text: UnsafePointer<CChar>?) throws -> Precision {
    try precision(named: text.map { String(cString: $0) } ?? "")
}

/// The precision called `name`, or an error listing them.
func precision(named name: String) throws -> Precision {
    guard let precision = Precision(rawValue: name) else {
        throw ArgumentError("precision must be one of \(Precision.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
    }
    return precision
}

// MARK: Fitting

/// Fits a model (`options_json`: `{"name": "text value"}` with the names of `FitOptions.set`, the command line's
/// flags) on `corpus` (`n × d`), with `queries` (`nq × d`) and `judgements_json` (`{"corpus_ids", "query_ids",
/// "qrels": [[query id, document id, grade]]}`) for supervised methods. `*model` gets the model, `*report` a JSON
/// record of the fit (each stage's kept iteration and validation, the held-out fidelity trace).
@c public func mtr_fit(_ optionsJSON: UnsafePointer<CChar>?, _ corpus: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64,
                       _ queries: UnsafePointer<Float>?, _ queryRows: Int64, _ judgementsJSON: UnsafePointer<CChar>?,
                       _ model: UnsafeMutablePointer<OpaquePointer?>?, _ report: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                       _ threads: Int64, _ task: OpaquePointer?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        guard let model else { throw ArgumentError("mtr_fit: no result") }
        var options = FitOptions()
        for (name, value) in try decodeJSON([String: String].self, optionsJSON, name: "options") ?? [:] {
            try options.set(name, to: value)
        }
        try options.validate()
        let source = try BorrowedRows(corpus, rows: rows, columns: columns, name: "corpus")
        let data: TrainingData
        if options.needsJudgements {
            guard let judgements = try decodeJSON(JudgementsArgument.self, judgementsJSON, name: "judgements") else {
                throw ArgumentError("\(options.method.rawValue)\(options.supervised ? " (supervised)" : "") trains on judged queries: give queries and qrels")
            }
            let queryRows = try BorrowedRows(queries, rows: queryRows, columns: columns, name: "queries")
            let (dataset, qrels) = try judgements.dataset(corpus: try source.matrix(), queries: try queryRows.matrix(), name: "data")
            data = .judged(try JudgedTrainingSet(dataset: dataset, qrels: qrels))
        } else {
            data = .corpus(source)
        }
        let callbacks = TrainingCallbacks(log: { task?.report(0, 0, $0) }, status: { task?.report(0, -1, $0) },
                                          progress: { task?.report($0.iteration, $0.totalIterations, $0.line) })
        let trained = try options.fit(data, callbacks: callbacks)
        if let report {
            var record: [String: Any] = [
                "stages": trained.stages.map {
                    ["iterations_run": $0.iterationsRun, "best_iteration": $0.bestIteration,
                     "best_validation": $0.bestValidation, "stopped_early": $0.stoppedEarly] as [String: Any]
                },
            ]
            if let trace = trained.fidelityTrace {
                record["fidelity"] = ["sizes": trace.sizes, "points": trace.points.map { ["iteration": $0.iteration, "fidelity": $0.fidelity] }]
            }
            let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
            report.pointee = copiedString(String(decoding: data, as: UTF8.self))
        }
        model.pointee = retainedHandle(ModelHandle(method: try PreparedMethod(model: trained.model), path: nil))
    }
}

// MARK: Indexes

/// Indexes `corpus` (`n × d`) embedded at `dimension` by `model` (null: truncation); with `shortlist_dimension` > 0
/// searched by the funnel (the top `shortlist_size` at `shortlist_dimension`, re-ranked at `dimension`).
@c public func mtr_index_new(_ model: OpaquePointer?, _ corpus: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64,
                             _ dimension: Int64, _ shortlistDimension: Int64, _ shortlistSize: Int64,
                             _ index: UnsafeMutablePointer<OpaquePointer?>?, _ threads: Int64, _ task: OpaquePointer?,
                             _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        guard let index else { throw ArgumentError("mtr_index_new: no result") }
        let source = try BorrowedRows(corpus, rows: rows, columns: columns, name: "corpus")
        let pipeline = try pipelineFor(model, input: source, dimension: dimension)
        if shortlistDimension != 0 {
            guard shortlistDimension >= 1, shortlistDimension <= pipeline.dimension else {
                throw ArgumentError("shortlist_dimension must be between 1 and dimension (\(pipeline.dimension)), got \(shortlistDimension)")
            }
            guard shortlistSize >= 1 else { throw ArgumentError("shortlist_size must be positive, got \(shortlistSize)") }
        }
        var storage: [Float] = []
        storage.reserveCapacity(source.rowCount * pipeline.dimension)
        try pipeline.forEachBlock(of: source, output: .embeddings) { first, block in
            storage.append(contentsOf: block.storage)
            task?.report(first + block.rows, source.rowCount, "indexed")
        }
        var built = EmbeddingIndex(pipeline: pipeline, exact: FlatIndex(normalizedVectors: Matrix(
            rows: source.rowCount, columns: pipeline.dimension, storage: storage)))
        if shortlistDimension != 0 { built = built.withShortlist(dimension: Int(shortlistDimension), size: Int(shortlistSize)) }
        index.pointee = retainedHandle(IndexHandle(index: built))
    }
}

/// Documents in an index, and the dimensions of its input and its embeddings.
@c public func mtr_index_shape(_ index: OpaquePointer?, _ count: UnsafeMutablePointer<Int64>?, _ inputDimension: UnsafeMutablePointer<Int64>?,
                               _ dimension: UnsafeMutablePointer<Int64>?) {
    guard let handle = Unmanaged<IndexHandle>.object(index) else { return }
    count?.pointee = Int64(handle.index.count)
    inputDimension?.pointee = Int64(handle.index.pipeline.inputDimension)
    dimension?.pointee = Int64(handle.index.pipeline.dimension)
}

/// The `k` best documents for each raw query row (`rows × columns`): corpus rows into `ids` and cosines into
/// `scores` (both `rows × k`), best first, ties by corpus order. `k` may not exceed the corpus.
@c public func mtr_index_search(_ index: OpaquePointer?, _ queries: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64,
                                _ k: Int64, _ ids: UnsafeMutablePointer<Int64>?, _ scores: UnsafeMutablePointer<Float>?,
                                _ threads: Int64, _ task: OpaquePointer?,
                                _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        guard let handle = Unmanaged<IndexHandle>.object(index), let ids, let scores else {
            throw ArgumentError("mtr_index_search: an index and result arrays are needed")
        }
        let index = handle.index
        let source = try BorrowedRows(queries, rows: rows, columns: columns, name: "queries", allowEmpty: true)
        guard source.dimension == index.pipeline.inputDimension else {
            throw ArgumentError("queries: \(source.dimension)-d rows, but the index embeds \(index.pipeline.inputDimension)-d vectors")
        }
        guard k >= 1, k <= index.count else { throw ArgumentError("k must be between 1 and the corpus size \(index.count), got \(k)") }
        let k = Int(k)
        let blockRows = 4096
        try source.forEachBlock(rows: blockRows) { first, block in
            let results = try index.search(checking: block, k: k)
            for (i, value) in results.indices.enumerated() { ids[first * k + i] = Int64(value) }
            results.scores.withUnsafeBufferPointer { (scores + first * k).update(from: $0.baseAddress!, count: $0.count) }
            task?.report(first + block.rows, source.rowCount, "searched")
        }
    }
}

/// Frees an index.
@c public func mtr_index_free(_ index: OpaquePointer?) {
    if let index { Unmanaged<IndexHandle>.fromOpaque(UnsafeRawPointer(index)).release() }
}

// MARK: Evaluation

/// Scores `model` (null: truncation) as `matryoshka evaluate --json` does, into `*report` (that JSON): judged
/// metrics when `queries` and `judgements_json` are given, neighbour-recall@10 when `settings_json` asks for a
/// sample (`{"dims": [..], "neighbour_sample": n, "reference": "original", "shortlist_dimension": m',
/// "shortlist_size": K, "per_query": false, "name": "data", "method": "adaptor", "precision": ["int8", "binary"],
/// "scoring": "asymmetric", "rescore": K, "keep": 0.95}`, each optional; codes as `evaluate --precision`).
@c public func mtr_evaluate(_ model: OpaquePointer?, _ corpus: UnsafePointer<Float>?, _ rows: Int64, _ columns: Int64,
                            _ queries: UnsafePointer<Float>?, _ queryRows: Int64, _ judgementsJSON: UnsafePointer<CChar>?,
                            _ settingsJSON: UnsafePointer<CChar>?, _ report: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                            _ threads: Int64, _ task: OpaquePointer?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded(error, threads: threads, task: task) { task in
        guard let report else { throw ArgumentError("mtr_evaluate: no result") }
        let settings = try decodeJSON(EvaluationSettings.self, settingsJSON, name: "settings") ?? EvaluationSettings()
        let source = try BorrowedRows(corpus, rows: rows, columns: columns, name: "corpus")
        let name = settings.name ?? "data"
        var evaluation: Evaluation
        if let judgements = try decodeJSON(JudgementsArgument.self, judgementsJSON, name: "judgements") {
            let queryRows = try BorrowedRows(queries, rows: queryRows, columns: columns, name: "queries")
            let (dataset, qrels) = try judgements.dataset(corpus: try source.matrix(), queries: try queryRows.matrix(), name: name)
            evaluation = Evaluation(judged: try JudgedEvaluation(dataset: dataset, qrels: qrels, split: judgements.split ?? "test"))
        } else {
            evaluation = Evaluation(corpus: source, name: name)
            if queries != nil {
                evaluation.neighbourQueries = try BorrowedRows(queries, rows: queryRows, columns: columns, name: "queries").matrix()
            }
        }
        if let dims = settings.dims, dims.isEmpty || dims.contains(where: { $0 < 1 }) {
            throw ArgumentError("dims must be positive sizes, got \(dims)")
        }
        if let sample = settings.neighbourSample, sample < 0 { throw ArgumentError("neighbour_sample must be 0 or more, got \(sample)") }
        if let m = settings.shortlistDimension, m < 1 || (settings.shortlistSize ?? 100) < 1 {
            throw ArgumentError("shortlist_dimension and shortlist_size must be positive")
        }
        evaluation.sizes = settings.dims
        evaluation.neighbourSample = settings.neighbourSample ?? evaluation.neighbourSample
        if let reference = settings.reference {
            guard let value = NeighbourReference(rawValue: reference) else {
                throw ArgumentError("reference must be original, centred or auto, got \(reference)")
            }
            evaluation.reference = value
        }
        if let m = settings.shortlistDimension { evaluation.funnel = (m, settings.shortlistSize ?? 100) }
        evaluation.perQuery = settings.perQuery ?? false
        if let names = settings.precision {
            evaluation.precisions = try names.map(precision(named:))
        }
        if let scoring = settings.scoring {
            guard let value = CodeScoring(rawValue: scoring) else { throw ArgumentError("scoring must be asymmetric or hamming, got \(scoring)") }
            evaluation.scoring = value
        }
        if let rescore = settings.rescore, rescore < 1 { throw ArgumentError("rescore must be positive, got \(rescore)") }
        evaluation.rescore = settings.rescore
        evaluation.keep = settings.keep
        let method = try prepared(model, dimension: source.dimension, of: "corpus")
        let modelName = Unmanaged<ModelHandle>.object(model)?.name ?? "truncation"
        let result = try evaluation.run(prepared: method, methodName: settings.method ?? (model == nil ? "truncate" : "adaptor"),
                                        modelName: modelName, log: { task?.report(0, 0, $0) }, status: { task?.report(0, -1, $0) })
        report.pointee = copiedString(try result.jsonString())
    }
}

/// What mtr_evaluate can be told (each optional; the command line's defaults).
struct EvaluationSettings: Decodable {
    var dims: [Int]?
    var neighbourSample: Int?
    var reference: String?
    var shortlistDimension: Int?
    var shortlistSize: Int?
    var perQuery: Bool?
    var name: String?
    var method: String?
    var precision: [String]?
    var scoring: String?
    var rescore: Int?
    var keep: Double?

    enum CodingKeys: String, CodingKey {
        case dims, neighbourSample = "neighbour_sample", reference, shortlistDimension = "shortlist_dimension",
             shortlistSize = "shortlist_size", perQuery = "per_query", name, method, precision, scoring, rescore, keep
    }
}
