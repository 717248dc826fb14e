import _COpenBLAS

/// The mean and covariance of a stream of vectors in one pass, with a `d × d` accumulator: the corpus never
/// has to be in memory at once.
///
/// With a shift `c` (the mean of the first chunk) the accumulator keeps `s = Σ_i (x_i - c)` and
/// `G = Σ_i (x_i - c)(x_i - c)ᵀ` in double precision, and
/// `μ = c + s/N`, `Σ = G/N - (s/N)(s/N)ᵀ` (the population covariance). Shifting by a provisional mean keeps the
/// products well-conditioned when the mean is large next to the spread, as it is for embeddings.
///
/// Rows are taken in fixed chunks of ``chunkRows`` counted from the first row, whatever the sizes of the blocks
/// handed to ``add(_:)``; each chunk's `Gᵢ` is one `dsyrk`, chunks of a batch run in parallel and are summed in
/// chunk order, so the result is bit-identical for any block size and any thread count.
public struct CovarianceAccumulator: Sendable {
    /// Rows per chunk.
    public static let chunkRows = 4096
    /// Chunks computed in parallel before they are summed.
    static let batchChunks = 8

    /// The vector dimension `d`.
    public let dimension: Int
    /// Vectors accumulated so far (including any not yet folded into the sums).
    public private(set) var count = 0
    private var shift: [Double]?
    private var sum: [Double]
    private var gram: [Double]
    private var pending: [Float] = []

    /// An empty accumulator for `dimension`-d vectors.
    public init(dimension: Int) {
        precondition(dimension > 0, "CovarianceAccumulator needs a positive dimension")
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
        gram = [Double](repeating: 0, count: dimension * dimension)
    }

    /// The accumulator of all rows of `matrix` (`N × d`).
    public init(rows matrix: Matrix) {
        self.init(dimension: matrix.columns)
        add(matrix)
    }

    /// Adds the rows of `block` (`n × d`).
    public mutating func add(_ block: Matrix) {
        precondition(block.columns == dimension, "CovarianceAccumulator: \(block.columns)-d rows, expected \(dimension)")
        count += block.rows
        pending.append(contentsOf: block.storage)
        let batch = Self.chunkRows * Self.batchChunks * dimension
        if pending.count >= batch {
            let whole = pending.count / (Self.chunkRows * dimension) * Self.chunkRows * dimension
            fold(pending[..<whole])
            pending.removeFirst(whole)
        }
    }

    /// The mean `μ` (`d` values).
    public func mean() -> [Double] {
        var copy = self
        copy.flush()
        let n = Double(max(copy.count, 1))
        let c = copy.shift ?? [Double](repeating: 0, count: dimension)
        return (0 ..< dimension).map { c[$0] + copy.sum[$0] / n }
    }

    /// The population covariance `Σ`, `d × d` row-major.
    public func covariance() -> [Double] {
        var copy = self
        copy.flush()
        let d = dimension, n = Double(max(copy.count, 1))
        let offset = copy.sum.map { $0 / n }
        var out = [Double](repeating: 0, count: d * d)
        for i in 0 ..< d {
            for j in i ..< d {
                let value = copy.gram[i * d + j] / n - offset[i] * offset[j]
                out[i * d + j] = value
                out[j * d + i] = value
            }
        }
        return out
    }

    /// Folds every pending row into the sums.
    private mutating func flush() {
        if !pending.isEmpty { fold(pending[...]) }
        pending = []
    }

    /// Adds whole chunks (and at most one partial one, at the end of the stream) of row-major rows.
    private mutating func fold(_ rows: ArraySlice<Float>) {
        let d = dimension
        let n = rows.count / d
        guard n > 0 else { return }
        if shift == nil {
            // The mean of the first chunk.
            let first = min(n, Self.chunkRows)
            var c = [Double](repeating: 0, count: d)
            rows.withUnsafeBufferPointer { p in
                for i in 0 ..< first { for j in 0 ..< d { c[j] += Double(p[i * d + j]) } }
            }
            shift = c.map { $0 / Double(first) }
        }
        let c = shift!
        _ = BLAS.threading
        let chunks = (n + Self.chunkRows - 1) / Self.chunkRows
        let workers = min(Parallelism.threads, chunks)
        // One centred-rows buffer per worker, reused across its chunks.
        var scratch = [Double](unsafeUninitializedCapacity: workers * Self.chunkRows * d) { _, count in
            count = workers * Self.chunkRows * d
        }
        let partials: [(sum: [Double], gram: [Double])] = rows.withUnsafeBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { buffer in
                let pointers = UncheckedSendable((p.baseAddress!, buffer.baseAddress!))
                return Parallelism.map(jobs: chunks, threads: workers) { chunk, worker in
                    let (input, scratch) = pointers.value
                    let start = chunk * Self.chunkRows, count = min(Self.chunkRows, n - start)
                    let centred = scratch + worker * Self.chunkRows * d
                    var s = [Double](repeating: 0, count: d)
                    s.withUnsafeMutableBufferPointer { total in
                        c.withUnsafeBufferPointer { shift in
                            let rows = input + start * d
                            for i in 0 ..< count {
                                for j in 0 ..< d {
                                    let value = Double(rows[i * d + j]) - shift[j]
                                    centred[i * d + j] = value
                                    total[j] += value
                                }
                            }
                        }
                    }
                    var g = [Double](repeating: 0, count: d * d)
                    g.withUnsafeMutableBufferPointer { pg in
                        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(count), 1,
                                    centred, Int32(d), 0, pg.baseAddress!, Int32(d))
                    }
                    return (s, g)
                }
            }
        }
        for partial in partials {
            for j in 0 ..< d { sum[j] += partial.sum[j] }
            gram.withUnsafeMutableBufferPointer { total in
                partial.gram.withUnsafeBufferPointer { g in
                    // dsyrk fills the upper triangle only.
                    for i in 0 ..< d { for j in i ..< d { total[i * d + j] += g[i * d + j] } }
                }
            }
        }
    }

    /// The principal axes: the covariance's eigendecomposition, eigenvalues descending.
    public func principalAxes() throws(MathError) -> SymmetricEigen {
        try SymmetricEigen(symmetric: covariance(), dimension: dimension)
    }
}
