import EmbeddingMath
import NIOCore

/// pgvector's column types for `embedding`: `vector` (float32), `halfvec` (float16, half the storage) and `bit`
/// (the binary code: one bit per coordinate, the sign after the model's per-coordinate centre, ranked by Hamming
/// distance; a 32nd of `vector`'s storage).
public enum VectorType: String, Sendable, Codable, CaseIterable {
    case vector, halfvec, bit

    /// The operator class of an index on `embedding`: inner product for the float types, Hamming for `bit`.
    public var operatorClass: String { self == .bit ? "bit_hamming_ops" : "\(rawValue)_ip_ops" }
    /// pgvector's distance operator for the same order: `<#>` (negative inner product) or `<~>` (Hamming).
    public var distanceOperator: String { self == .bit ? "<~>" : "<#>" }
    /// The type of the `full` column re-ranking reads: the same float type, and `vector` beside `bit`.
    public var fullType: VectorType { self == .bit ? .vector : self }
    /// Bytes of one stored value of `m` coordinates, without its length word: `4m`, `2m`, or `4 + ⌈m / 8⌉` for `bit`
    /// (its bit count, then the bits).
    public func valueBytes(dimension m: Int) -> Int {
        switch self {
        case .vector: 4 + 4 * m
        case .halfvec: 4 + 2 * m
        case .bit: 4 + (m + 7) / 8
        }
    }
}

/// PostgreSQL's binary COPY format (`COPY … FROM STDIN WITH (FORMAT binary)`) for rows `(id text, v₁, v₂, …)` whose
/// vector columns are pgvector's `vector` or `halfvec`, or PostgreSQL's `bit(m)`.
///
/// The stream is a header (`PGCOPY\n\xff\r\n\0`, flags int32 0, extension length int32 0), then per row an int16
/// field count and per field an int32 byte length and the bytes, then an int16 −1 trailer; all big-endian. A text
/// field is its UTF-8 bytes. pgvector's binary `vector` of dimension `m` is int16 `m`, int16 0, then `m` float32;
/// `halfvec` the same with `m` IEEE float16 (its `vector_recv` / `halfvec_recv`). A `bit(m)` value (`bit_recv`) is
/// int32 `m` then `⌈m / 8⌉` bytes, the first coordinate in the most significant bit (numpy's `packbits` order); the
/// values written to it are a binary code's `±1` (`+1` is a set bit).
public enum BinaryCopy {
    /// The 19-byte header.
    public static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The trailer: field count −1.
    public static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Bytes one row takes: `2 + (4 + |id|) + Σ (4 + value bytes)`, the first vector as `type`, any other as
    /// ``VectorType/fullType``.
    public static func rowBytes(idBytes: Int, widths: [Int], type: VectorType) -> Int {
        2 + 4 + idBytes + widths.enumerated().reduce(0) { $0 + 4 + ($1.offset == 0 ? type : type.fullType).valueBytes(dimension: $1.element) }
    }

    /// Appends one row: `id` then each vector in `vectors`, the first as `type`, any other as its ``VectorType/fullType``.
    public static func appendRow(id: String, vectors: [ArraySlice<Float>], type: VectorType, to buffer: inout ByteBuffer) {
        appendRowHead(id: id, fields: vectors.count, to: &buffer)
        for (column, vector) in vectors.enumerated() {
            vector.withUnsafeBufferPointer { appendVector($0, type: column == 0 ? type : type.fullType, to: &buffer) }
        }
    }

    /// Appends rows `rows` of `matrices` (each `n × width`, one vector column per matrix: `embedding` as `type`, then
    /// `full` as its ``VectorType/fullType``) with their `ids`.
    public static func appendRows(ids: ArraySlice<String>, matrices: [Matrix], rows: Range<Int>, type: VectorType,
                                  to buffer: inout ByteBuffer) {
        precondition(ids.count == rows.count, "One id per row")
        for (row, id) in zip(rows, ids) {
            appendRowHead(id: id, fields: matrices.count, to: &buffer)
            for (column, matrix) in matrices.enumerated() {
                matrix.storage.withUnsafeBufferPointer { storage in
                    appendVector(UnsafeBufferPointer(rebasing: storage[row * matrix.columns ..< (row + 1) * matrix.columns]),
                                 type: column == 0 ? type : type.fullType, to: &buffer)
                }
            }
        }
    }

    /// Field count (`1 + fields`) and the id field.
    @inline(__always) static func appendRowHead(id: String, fields: Int, to buffer: inout ByteBuffer) {
        buffer.writeInteger(Int16(1 + fields))
        buffer.writeInteger(Int32(id.utf8.count))
        buffer.writeString(id)
    }

    /// One vector field: length, dimension, 0, then the values big-endian (`bit`: length, bit count, the packed
    /// bits), written in one pass over the buffer's free space (a per-value `writeInteger` costs several times more).
    @inline(__always) static func appendVector(_ vector: UnsafeBufferPointer<Float>, type: VectorType, to buffer: inout ByteBuffer) {
        let valueBytes = type.valueBytes(dimension: vector.count) - 4
        buffer.writeInteger(Int32(4 + valueBytes))
        if type == .bit {
            buffer.writeInteger(Int32(vector.count))
        } else {
            buffer.writeInteger(Int16(vector.count))
            buffer.writeInteger(Int16(0))
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: valueBytes) { raw in
            switch type {
            case .bit:
                for b in 0 ..< valueBytes { raw[b] = 0 }
                for (i, value) in vector.enumerated() where value > 0 {
                    raw[i / 8] |= UInt8(0x80) >> UInt8(i % 8)
                }
            case .vector:
                for (i, value) in vector.enumerated() {
                    raw.storeBytes(of: value.bitPattern.bigEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            case .halfvec:
                for (i, value) in vector.enumerated() {
                    raw.storeBytes(of: halfBits(value).bigEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            }
            return valueBytes
        }
    }

    /// The IEEE binary16 bits of `value`, rounded to nearest even (what pgvector's `halfvec` stores).
    @inline(__always) public static func halfBits(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    /// pgvector's text form `[v₁,v₂,…]` (shortest round-trip decimals), for query parameters.
    public static func text(_ vector: ArraySlice<Float>) -> String {
        "[" + vector.map { $0.description }.joined(separator: ",") + "]"
    }

    /// The text form of `vector` as a column of `type` takes it: ``text(_:)``, or for `bit` one `1` per positive
    /// value and `0` otherwise (`B'…'` without the quotes).
    public static func text(_ vector: ArraySlice<Float>, as type: VectorType) -> String {
        type == .bit ? String(vector.map { $0 > 0 ? "1" : "0" }) : text(vector)
    }
}
