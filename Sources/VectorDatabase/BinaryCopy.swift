import EmbeddingMath
import NIOCore

/// pgvector's column types: `vector` (float32) and `halfvec` (float16, half the storage).
public enum VectorType: String, Sendable, Codable, CaseIterable {
    case vector, halfvec

    /// The inner-product operator class for an index on this type.
    public var innerProductOperatorClass: String { "\(rawValue)_ip_ops" }
    /// Bytes per stored coordinate.
    public var bytesPerCoordinate: Int { self == .vector ? 4 : 2 }
}

/// PostgreSQL's binary COPY format (`COPY … FROM STDIN WITH (FORMAT binary)`) for rows `(id text, v₁, v₂, …)` whose
/// vector columns are pgvector's `vector` or `halfvec`.
///
/// The stream is a header (`PGCOPY\n\xff\r\n\0`, flags int32 0, extension length int32 0), then per row an int16
/// field count and per field an int32 byte length and the bytes, then an int16 −1 trailer; all big-endian. A text
/// field is its UTF-8 bytes. pgvector's binary `vector` of dimension `m` is int16 `m`, int16 0, then `m` float32;
/// `halfvec` the same with `m` IEEE float16 (its `vector_recv` / `halfvec_recv`).
public enum BinaryCopy {
    /// The 19-byte header.
    public static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The trailer: field count −1.
    public static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Bytes one row takes: `2 + (4 + |id|) + Σ (4 + 4 + width·bytes)`.
    public static func rowBytes(idBytes: Int, widths: [Int], type: VectorType) -> Int {
        2 + 4 + idBytes + widths.reduce(0) { $0 + 8 + $1 * type.bytesPerCoordinate }
    }

    /// Appends one row: `id` then each vector in `vectors` as `type`.
    public static func appendRow(id: String, vectors: [ArraySlice<Float>], type: VectorType, to buffer: inout ByteBuffer) {
        appendRowHead(id: id, fields: vectors.count, to: &buffer)
        for vector in vectors {
            vector.withUnsafeBufferPointer { appendVector($0, type: type, to: &buffer) }
        }
    }

    /// Appends rows `rows` of `matrices` (each `n × width`, one vector column per matrix) with their `ids`.
    public static func appendRows(ids: ArraySlice<String>, matrices: [Matrix], rows: Range<Int>, type: VectorType,
                                  to buffer: inout ByteBuffer) {
        precondition(ids.count == rows.count, "One id per row")
        for (row, id) in zip(rows, ids) {
            appendRowHead(id: id, fields: matrices.count, to: &buffer)
            for matrix in matrices {
                matrix.storage.withUnsafeBufferPointer { storage in
                    appendVector(UnsafeBufferPointer(rebasing: storage[row * matrix.columns ..< (row + 1) * matrix.columns]),
                                 type: type, to: &buffer)
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

    /// One vector field: length, dimension, 0, then the values big-endian, written in one pass over the buffer's
    /// free space (a per-value `writeInteger` costs several times more).
    @inline(__always) static func appendVector(_ vector: UnsafeBufferPointer<Float>, type: VectorType, to buffer: inout ByteBuffer) {
        let valueBytes = vector.count * type.bytesPerCoordinate
        buffer.writeInteger(Int32(4 + valueBytes))
        buffer.writeInteger(Int16(vector.count))
        buffer.writeInteger(Int16(0))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: valueBytes) { raw in
            switch type {
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
}
