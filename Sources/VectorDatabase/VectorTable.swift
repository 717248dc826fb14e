import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A table of adapted vectors: `(id text PRIMARY KEY, embedding vector(m) [, full vector(D)])` (or `halfvec` for both,
/// or `bit(m)` with a `vector(D)` full column), with its layout
/// recorded as JSON in the table's comment so that later loads and searches can check they use the same model,
/// size and type.
public struct VectorTableLayout: Codable, Equatable, Sendable {
    /// Marks comments written by `matryoshka load`.
    public static let formatName = "matryoshka-pgvector/1"

    public var format = Self.formatName
    /// `sha256:<hex>` of the adaptor file (saved models are byte-for-byte deterministic), or `none` for raw vectors.
    public var model: String
    /// `m`: coordinates in `embedding`.
    public var dimension: Int
    /// `D`: coordinates in `full` (the full adapted vector, for re-ranking), or nil when not stored.
    public var fullDimension: Int?
    /// The column type of `embedding` (and of `full`: ``VectorType/fullType``).
    public var type: VectorType

    public init(model: String, dimension: Int, fullDimension: Int?, type: VectorType) {
        self.model = model
        self.dimension = dimension
        self.fullDimension = fullDimension
        self.type = type
    }

    enum CodingKeys: String, CodingKey {
        case format, model, dimension, fullDimension = "full_dimension", type
    }

    /// The comment text (sorted-key JSON).
    public var comment: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The layout in a table comment, or nil when the comment is not one of ours.
    public init?(comment: String?) {
        guard let comment, let data = comment.data(using: .utf8),
              let layout = try? JSONDecoder().decode(Self.self, from: data), layout.format == Self.formatName
        else { return nil }
        self = layout
    }

    /// The SQL column definitions.
    var columns: String {
        "id text PRIMARY KEY, embedding \(type.rawValue)(\(dimension))"
            + (fullDimension.map { ", \"full\" \(type.fullType.rawValue)(\($0))" } ?? "")
    }

    /// Why `other` (what a load or search wants) cannot use a table with this layout, or nil when it can.
    public func mismatch(with other: VectorTableLayout) -> String? {
        if model != other.model {
            return "was loaded with another model (\(model)); this one is \(other.model). Search it with the model "
                + "that loaded it, or load into another table (--if-exists replace overwrites)."
        }
        if dimension != other.dimension {
            return "stores \(dimension)-d prefixes, not \(other.dimension)-d: use --dimension \(dimension), or another table."
        }
        if type != other.type { return "stores \(type.rawValue), not \(other.type.rawValue): use --type \(type.rawValue)." }
        if fullDimension != other.fullDimension {
            return fullDimension == nil ? "has no full vectors; load it again with --full, or leave --full out."
                : "stores full vectors; pass --full to append to it."
        }
        return nil
    }
}

/// A validated table name: `name` or `schema.name`, each an identifier of letters, digits and `_`, quoted in SQL.
public struct TableName: Sendable, CustomStringConvertible, Equatable {
    public let parts: [String]

    public init(_ text: String) throws(VectorDatabaseError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1 ... 2).contains(parts.count), parts.allSatisfy({ part in
            guard let first = part.unicodeScalars.first, part.utf8.count <= 63 else { return false }
            return (first == "_" || CharacterSet.letters.contains(first))
                && part.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
        }) else { throw .invalidTableName(text) }
        self.parts = parts
    }

    /// `"schema"."name"`.
    public var quoted: String { parts.map { "\"\($0)\"" }.joined(separator: ".") }
    public var description: String { parts.joined(separator: ".") }
}

extension VectorDatabase {
    func ensureExtension() async throws {
        let rows = try await run("SELECT extversion FROM pg_extension WHERE extname = 'vector'", "checking for pgvector")
        if !rows.isEmpty { return }
        do {
            try await run("CREATE EXTENSION IF NOT EXISTS vector", "creating the vector extension")
        } catch VectorDatabaseError.server(_, let message, _) {
            throw VectorDatabaseError.missingExtension(place: url.place, problem: message)
        }
    }

    /// Whether `table` exists, and its layout when its comment is one of ours.
    public func describe(_ table: TableName) async throws -> (exists: Bool, layout: VectorTableLayout?) {
        let name = table.quoted
        let rows = try await run("SELECT to_regclass(\(name)) IS NOT NULL, obj_description(to_regclass(\(name)), 'pg_class')",
                                 "looking up table \(table)")
        guard let row = rows.first else { return (false, nil) }
        let (exists, comment) = try row.decode((Bool, String?).self)
        return (exists, VectorTableLayout(comment: comment))
    }

    /// The table's layout, checked: it must exist and have been made by `matryoshka load`.
    public func layout(of table: TableName) async throws -> VectorTableLayout {
        let (exists, layout) = try await describe(table)
        guard exists else { throw VectorDatabaseError.noSuchTable(table: table.description, place: url.place) }
        guard let layout else {
            throw VectorDatabaseError.layoutMismatch(table: table.description,
                                                     problem: "was not made by matryoshka load (its comment records no model and size).")
        }
        return layout
    }
}
