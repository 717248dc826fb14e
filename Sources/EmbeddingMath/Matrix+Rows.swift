/// Row-wise operations: prefixes, normalisation, gathering.
extension Matrix {
    /// The first `count` columns of every row, as a new `rows × count` matrix.
    ///
    /// `prefix(columns: m)` of an adapted embedding matrix is its Matryoshka embedding of size `m`.
    public func prefix(columns count: Int) -> Matrix {
        precondition(count >= 0 && count <= columns, "Prefix of \(count) columns from a matrix of \(columns)")
        if count == columns { return self }
        var out = Matrix(rows: rows, columns: count)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0 ..< rows {
                    let s = src.baseAddress! + i * columns
                    let d = dst.baseAddress! + i * count
                    d.update(from: s, count: count)
                }
            }
        }
        return out
    }

    /// The rows at `indices`, in that order, as a new `indices.count × columns` matrix.
    public func gatherRows<C: Collection>(_ indices: C) -> Matrix where C.Element == Int {
        var out = Matrix(rows: indices.count, columns: columns)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "Row \(i) out of range 0..<\(rows)")
                    (dst.baseAddress! + r * columns).update(from: src.baseAddress! + i * columns, count: columns)
                }
            }
        }
        return out
    }

    /// The Euclidean norm of every row: `‖x_i‖₂`, `rows` values, without overflow or underflow
    /// (``Kernels/norm(_:count:)``).
    public func rowNorms() -> [Float] {
        storage.withUnsafeBufferPointer { buffer in
            (0 ..< rows).map { i in Kernels.norm(buffer.baseAddress! + i * columns, count: columns) }
        }
    }

    /// Scales every row to unit Euclidean norm in place: `x_i ← x_i / ‖x_i‖₂` (``Kernels/normalize(_:count:)``: a row of
    /// huge or denormal values gets its direction too).
    ///
    /// Rows of norm zero stay zero (their cosine similarity to anything is then 0), and rows holding NaN or ±∞ stay as
    /// they are; ``EmbeddingPipeline/checked(_:firstRow:)`` refuses both.
    public mutating func normalizeRows() {
        let columns = self.columns
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = UncheckedSendable(buffer.baseAddress!)
            Parallelism.forEachRowChunk(rows: rows, columns: columns) { range in
                for i in range { Kernels.normalize(base.value + i * columns, count: columns) }
            }
        }
    }

    /// A copy with every row scaled to unit norm (see ``normalizeRows()``).
    public func normalizedRows() -> Matrix {
        var copy = self
        copy.normalizeRows()
        return copy
    }

    /// Unit rows moved to another origin: `(x_i − μ) / ‖x_i − μ‖₂` for every row (a copy), or the rows as they are
    /// when `centre` is nil. On L2-normalised rows and their mean `μ` (`columns` values) this is the centred
    /// geometry that centring adaptors, their training targets and the centred neighbour reference compare in.
    public func recentred(on centre: [Float]?) -> Matrix {
        guard let centre else { return self }
        var out = self
        out.subtractFromRows(centre)
        out.normalizeRows()
        return out
    }

    /// The re-normalised prefix of every row: `x_i[:m] / ‖x_i[:m]‖₂`, an `rows × m` matrix.
    ///
    /// This is the representation compared by cosine similarity at Matryoshka size `m`.
    public func normalizedPrefix(columns m: Int) -> Matrix {
        var out = prefix(columns: m)
        out.normalizeRows()
        return out
    }

    /// The mean of all rows, `columns` values.
    public func columnMeans() -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        storage.withUnsafeBufferPointer { buffer in
            for i in 0 ..< rows {
                for j in 0 ..< columns { sums[j] += Double(buffer[i * columns + j]) }
            }
        }
        return sums.map { Float($0 / Double(Swift.max(rows, 1))) }
    }

    /// Adds `scale · vector` (`columns` values) to every row in place (a bias, or `-μ` for centring).
    public mutating func addToRows(_ vector: [Float], scale: Float = 1) {
        precondition(vector.count == columns, "Cannot add a \(vector.count)-vector to \(columns)-column rows")
        let columns = self.columns
        storage.withUnsafeMutableBufferPointer { buffer in
            vector.withUnsafeBufferPointer { v in
                let pointers = UncheckedSendable((buffer.baseAddress!, v.baseAddress!))
                Parallelism.forEachRowChunk(rows: rows, columns: columns) { range in
                    let (base, v) = pointers.value
                    for i in range {
                        let p = base + i * columns
                        for j in 0 ..< columns { p[j] += scale * v[j] }
                    }
                }
            }
        }
    }

    /// Subtracts `vector` (of `columns` values) from every row in place.
    public mutating func subtractFromRows(_ vector: [Float]) {
        addToRows(vector, scale: -1)
    }
}

/// Column blocks: the segments that Matryoshka losses work on.
extension Matrix {
    /// Columns `range` of every row, as a new `rows × range.count` matrix.
    public func columns(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "Columns \(range) of \(columns)")
        var out = Matrix(rows: rows, columns: range.count)
        let width = range.count, stride = columns
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0 ..< rows {
                    (dst.baseAddress! + i * width).update(from: src.baseAddress! + i * stride + range.lowerBound, count: width)
                }
            }
        }
        return out
    }

    /// Adds `block` (`rows × w`) into columns `offset ..< offset + w` in place.
    public mutating func addColumns(_ block: Matrix, at offset: Int) {
        precondition(block.rows == rows && offset + block.columns <= columns, "Block does not fit")
        let width = block.columns, stride = columns
        storage.withUnsafeMutableBufferPointer { dst in
            block.storage.withUnsafeBufferPointer { src in
                for i in 0 ..< rows {
                    let d = dst.baseAddress! + i * stride + offset, s = src.baseAddress! + i * width
                    for j in 0 ..< width { d[j] += s[j] }
                }
            }
        }
    }

    /// Adds `scale · block` into rows `offset ..< offset + block.rows` in place.
    public mutating func addRows(_ block: Matrix, at offset: Int, scale: Float = 1) {
        precondition(block.columns == columns && offset + block.rows <= rows, "Row block does not fit")
        let start = offset * columns
        storage.withUnsafeMutableBufferPointer { dst in
            block.storage.withUnsafeBufferPointer { src in
                for i in 0 ..< src.count { dst[start + i] += scale * src[i] }
            }
        }
    }

    /// `self_i ← self_i - scale_i · other_i` for every row `i`.
    public mutating func subtractRowScaled(_ other: Matrix, by scale: [Float]) {
        precondition(other.rows == rows && other.columns == columns && scale.count == rows, "Shapes differ")
        let columns = self.columns
        storage.withUnsafeMutableBufferPointer { dst in
            other.storage.withUnsafeBufferPointer { src in
                for i in 0 ..< rows {
                    let d = dst.baseAddress! + i * columns, s = src.baseAddress! + i * columns, k = scale[i]
                    for j in 0 ..< columns { d[j] -= k * s[j] }
                }
            }
        }
    }
}

extension Matrix {
    /// The columns at `indices`, in that order (a coordinate permutation or selection): `rows × indices.count`.
    public func columns(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, columns: indices.count)
        let width = indices.count, stride = columns
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0 ..< rows {
                    for (j, c) in indices.enumerated() { dst[i * width + j] = src[i * stride + c] }
                }
            }
        }
        return out
    }
}
