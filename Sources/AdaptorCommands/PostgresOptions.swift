import AdaptorNN
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import Foundation
import VectorDatabase

extension VectorType: ExpressibleByArgument {}
extension IfExists: ExpressibleByArgument {}
extension VectorIndexKind: ExpressibleByArgument {}

/// `--postgres URL --table T`: a pgvector table.
struct PostgresOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        PostgreSQL with pgvector: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require] (the password \
        may instead come from PGPASSWORD; it is never printed).
        """, valueName: "URL"))
    var postgres: String?

    @Option(help: ArgumentHelp("The table (name or schema.name).", valueName: "T"))
    var table: String?

    /// The parsed URL and table, or nil without --postgres.
    func target() throws -> (url: PostgresURL, table: TableName)? {
        guard let postgres else {
            if table != nil { throw ValidationError("--table needs --postgres URL") }
            return nil
        }
        guard let table else { throw ValidationError("--postgres needs --table T") }
        return (try PostgresURL(postgres), try TableName(table))
    }
}

/// `sha256:<hex>` of a model file (saved models are byte-for-byte deterministic, so this names the weights).
func modelFingerprint(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw EmbeddingIOError.missingFile(path: path, what: "the adaptor model")
    }
    var hash = SHA256()
    hash.update(data)
    return "sha256:" + hash.hexDigest()
}

/// Queries and documents as the table stores them: `T(x)[:m] / ‖T(x)[:m]‖`, and with full vectors `T(x) / ‖T(x)‖`.
struct StoredForm: Sendable {
    let prefix: any EmbeddingTransform
    let full: (any EmbeddingTransform)?
    let layout: VectorTableLayout

    /// The transform (`--adaptor` or the raw vectors) at `m`, with the full one when `storeFull`.
    init(adaptor: String?, inputDimension d: Int, inputPath: String, dimension m: Int?, storeFull: Bool,
         type: VectorType) throws {
        let transform: any EmbeddingTransform
        let fingerprint: String
        if let adaptor {
            let model = try AdaptorModel.load(adaptor)
            try model.checkInputDimension(d, of: inputPath, modelPath: adaptor)
            transform = model
            fingerprint = try modelFingerprint(adaptor)
        } else {
            transform = IdentityTransform(dimension: d)
            fingerprint = "none"
        }
        let m = m ?? transform.outputDimension
        guard (1 ... transform.outputDimension).contains(m) else {
            throw ValidationError("--dimension \(m) must be in 1...\(transform.outputDimension) (the output dimension)")
        }
        prefix = transform.prefixTransform(m)
        full = storeFull ? transform : nil
        layout = VectorTableLayout(model: fingerprint, dimension: m, fullDimension: storeFull ? transform.outputDimension : nil,
                                   type: type)
    }

    /// Unit-length prefixes and (when stored) full vectors of `rows`.
    func apply(_ rows: Matrix) -> (prefixes: Matrix, full: Matrix?) {
        (prefix.apply(rows).normalizedRows(), full?.apply(rows).normalizedRows())
    }
}
