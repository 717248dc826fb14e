import Foundation
import Matryoshka

/// A model behind an opaque `mtr_model *`: an adaptor (loaded or fitted here), made ready once (its transform and
/// the fingerprint of its file), so that no call serialises and hashes the weights again.
final class ModelHandle {
    let method: PreparedMethod
    /// The file it was loaded from or last saved to, for messages (nil: fitted here and not saved).
    var path: String?

    init(method: PreparedMethod, path: String?) {
        precondition(method.model != nil, "A model handle holds a model")
        self.method = method
        self.path = path
    }

    var model: AdaptorModel { method.model! }
    var fingerprint: String { method.fingerprint }

    /// Its name in a message: the file, or "the fitted model".
    var name: String { path ?? "the fitted model" }

    /// The method, for `d`-dimensional rows (checked against the model's input).
    func prepared(inputDimension d: Int, of dataName: String) throws -> PreparedMethod {
        try model.checkInputDimension(d, of: dataName, modelPath: name)
        return method
    }

    /// Pipelines made so far, by size (0: the whole output): a binding that embeds a stream block by block (Ray's
    /// and Spark's batches) folds the front map into the first layer once per size, not once per call.
    private var pipelines: [Int: EmbeddingPipeline] = [:]
    private let pipelinesLock = NSLock()

    /// The pipeline at size `m` (nil: the whole output), made once and kept (at most 16 sizes; it is a value, safe
    /// to use from any thread).
    func pipeline(dimension m: Int?) throws -> EmbeddingPipeline {
        pipelinesLock.lock()
        defer { pipelinesLock.unlock() }
        if let made = pipelines[m ?? 0] { return made }
        let made = try method.pipeline(dimension: m)
        if pipelines.count >= 16 { pipelines.removeAll() }
        pipelines[m ?? 0] = made
        return made
    }
}

/// An index behind an opaque `mtr_index *`.
final class IndexHandle {
    let index: EmbeddingIndex

    init(index: EmbeddingIndex) { self.index = index }
}

/// `callback(context, done, total, line)`: a long call's progress: units done and in all with a line of text; total 0:
/// a message to show (a set-up step done); total -1: a transient status line (replaced by the next).
public typealias MTRProgressCallback = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, UnsafePointer<CChar>?) -> Void

/// A long call's companion behind an opaque `mtr_task *`: where it reports progress, and the flag that stops it
/// (raised from any thread by `mtr_task_cancel`).
final class TaskHandle {
    typealias Callback = MTRProgressCallback

    let flag = CancellationFlag()
    let callback: Callback?
    let context: UnsafeMutableRawPointer?

    init(callback: Callback?, context: UnsafeMutableRawPointer?) {
        self.callback = callback
        self.context = context
    }

    /// Reports `line` with `done` of `total` units.
    func report(_ done: Int, _ total: Int, _ line: String) {
        guard let callback else { return }
        line.withCString { callback(context, Int64(done), Int64(total), $0) }
    }
}

extension Unmanaged where Instance: AnyObject {
    /// The object behind a handle the caller passed (nil pointer: nil).
    static func object(_ pointer: OpaquePointer?) -> Instance? {
        pointer.map { Unmanaged<Instance>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

/// A handle for `object`, owned by the caller until it frees it.
func retainedHandle(_ object: AnyObject) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

/// An error of the caller's arguments (the bindings' `ValueError`).
struct ArgumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Rows the caller holds (`rows × columns` float32, C order), read in blocks without copying the whole; every
/// block read checks the task's cancellation flag, so streaming steps stop between blocks.
struct BorrowedRows: RowSource {
    let base: UnsafePointer<Float>
    let rowCount: Int
    let dimension: Int
    let sourceName: String

    /// The caller's `x` (`rows × columns`), checked for a usable shape.
    init(_ x: UnsafePointer<Float>?, rows: Int64, columns: Int64, name: String, allowEmpty: Bool = false) throws {
        guard let x else { throw ArgumentError("\(name): no data (a null pointer)") }
        guard rows >= (allowEmpty ? 0 : 1) else { throw ArgumentError("\(name): needs at least one row, got \(rows)") }
        guard columns >= 1 else { throw ArgumentError("\(name): needs at least one column, got \(columns)") }
        base = x
        rowCount = Int(rows)
        dimension = Int(columns)
        sourceName = name
    }

    func block(_ range: Range<Int>) throws -> Matrix {
        try Cancellation.check()
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "Rows \(range) of \(rowCount)")
        let rows = Matrix(rows: range.count, columns: dimension,
                          storage: Array(UnsafeBufferPointer(start: base + range.lowerBound * dimension, count: range.count * dimension)))
        // The checks of a file's rows (finite, not all zeros), with the same messages.
        try validateRows(rows, path: sourceName, firstRow: range.lowerBound)
        return rows
    }

    func gather(_ indices: [Int]) throws -> Matrix {
        try Cancellation.check()
        var storage: [Float] = []
        storage.reserveCapacity(indices.count * dimension)
        for i in indices {
            precondition(i >= 0 && i < rowCount, "Row \(i) of \(rowCount)")
            let row = Matrix(rows: 1, columns: dimension, storage: Array(UnsafeBufferPointer(start: base + i * dimension, count: dimension)))
            try validateRows(row, path: sourceName, firstRow: i)
            storage.append(contentsOf: row.storage)
        }
        return Matrix(rows: indices.count, columns: dimension, storage: storage)
    }

    /// Every row in memory, as a matrix (checked as ``block(_:)`` checks it).
    func matrix() throws -> Matrix { try block(0 ..< rowCount) }
}

/// Judgements from the caller (JSON): ids of the corpus and query rows, and `[query id, document id, grade]`
/// triples in their order (the order of a qrels file).
struct JudgementsArgument: Decodable {
    var corpusIds: [String]
    var queryIds: [String]
    var qrels: [Triple]
    var split: String?

    struct Triple: Decodable {
        var query: String
        var document: String
        var grade: Int

        init(from decoder: any Decoder) throws {
            var values = try decoder.unkeyedContainer()
            query = try values.decode(String.self)
            document = try values.decode(String.self)
            grade = try values.decode(Int.self)
        }
    }

    enum CodingKeys: String, CodingKey {
        case corpusIds = "corpus_ids", queryIds = "query_ids", qrels, split
    }

    /// The data set these judgements describe, with its qrels.
    func dataset(corpus: Matrix, queries: Matrix, name: String) throws -> (Dataset, Qrels) {
        guard corpusIds.count == corpus.rows else {
            throw ArgumentError("corpus_ids: \(corpusIds.count) ids for \(corpus.rows) corpus rows")
        }
        guard queryIds.count == queries.rows else {
            throw ArgumentError("query_ids: \(queryIds.count) ids for \(queries.rows) query rows")
        }
        var judgements: [String: [String: Int]] = [:], order: [String] = []
        for triple in qrels {
            if judgements[triple.query] == nil { order.append(triple.query) }
            judgements[triple.query, default: [:]][triple.document] = triple.grade
        }
        let dataset = Dataset(directory: "", name: name, corpus: try EmbeddingSet(vectors: corpus, ids: corpusIds, idsPath: "corpus_ids"),
                              queries: try EmbeddingSet(vectors: queries, ids: queryIds, idsPath: "query_ids"))
        return (dataset, Qrels(path: "qrels", judgements: judgements, queryOrder: order))
    }
}

/// Decodes the caller's JSON text `text` (named `name` in an error).
func decodeJSON<T: Decodable>(_ type: T.Type, _ text: UnsafePointer<CChar>?, name: String) throws -> T? {
    guard let text else { return nil }
    do {
        return try JSONDecoder().decode(T.self, from: Data(String(cString: text).utf8))
    } catch let error as DecodingError {
        throw ArgumentError("\(name): not the JSON expected (\(describe(error)))")
    }
}

private func describe(_ error: DecodingError) -> String {
    switch error {
    case let .typeMismatch(_, context), let .valueNotFound(_, context), let .keyNotFound(_, context), let .dataCorrupted(context):
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
    @unknown default:
        return "\(error)"
    }
}

/// Runs `body` with the caller's thread count and task, turning every error into a status and a message:
/// 0 done, 1 an error (its message in `*error`, to be freed with `mtr_free`), 2 stopped by `mtr_task_cancel`.
func guarded(_ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, threads: Int64 = 0, task: OpaquePointer? = nil,
             _ body: (TaskHandle?) throws -> Void) -> Int32 {
    error?.pointee = nil
    let handle = Unmanaged<TaskHandle>.object(task)
    func fail(_ status: Int32, _ message: String) -> Int32 {
        error?.pointee = strdup(message)
        return status
    }
    guard threads >= 0 else { return fail(1, "threads must be 0 (every core) or positive, got \(threads)") }
    let count = threads == 0 ? Parallelism.availableCores : Int(threads)
    do {
        try Parallelism.$threads.withValue(count) {
            try Cancellation.$current.withValue(handle?.flag) { try body(handle) }
        }
        return 0
    } catch let stopped as Cancelled {
        return fail(2, stopped.description)
    } catch {
        return fail(1, String(describing: error))
    }
}

/// Copies `text` for the caller (freed with `mtr_free`).
func copiedString(_ text: String) -> UnsafeMutablePointer<CChar> { strdup(text)! }
