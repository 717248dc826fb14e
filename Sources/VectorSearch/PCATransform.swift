import EmbeddingMath

/// Principal component analysis fitted on a corpus, the classic fixed reduction baseline.
///
/// Fit: `X̃ = normalize_rows(C)` (`N × d`), `μ = mean_i X̃_i`, `Σ = (X̃ - μ)ᵀ (X̃ - μ) / N`, and
/// `Σ = Σ_j λ_j v_j v_jᵀ` with `λ_1 ≥ … ≥ λ_d`. Apply: `T(x) = V (x/‖x‖ - μ)`, whose `m`-prefix is the
/// projection on the top-`m` axes. Covariance and eigendecomposition are computed in double precision.
public struct PCATransform: EmbeddingTransform {
    /// The corpus mean `μ` of the normalised vectors (`d` values).
    public let mean: [Float]
    /// Principal axes as rows, by decreasing variance: `outputDimension × d`.
    public let components: Matrix
    /// The variance `λ_j` along each axis.
    public let variances: [Double]

    /// The dimension `d` of accepted vectors.
    public var inputDimension: Int { components.columns }
    /// The number of principal axes kept.
    public var outputDimension: Int { components.rows }

    /// A PCA from explicit parameters (a saved model).
    public init(mean: [Float], components: Matrix, variances: [Double]) {
        precondition(mean.count == components.columns, "PCA mean has \(mean.count) values for \(components.columns)-d axes")
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// Fits all `d` axes on the rows of `corpus` (`N × d`, any norms).
    public static func fit(corpus: Matrix) throws(MathError) -> PCATransform {
        try PCATransform(statistics: CovarianceAccumulator(rows: corpus.normalizedRows()))
    }


    /// Fits all `d` axes on a corpus read block by block (one pass; memory is one block and a `d × d` accumulator).
    ///
    /// - Parameters:
    ///   - source: the raw corpus, `N × d`.
    ///   - blockRows: rows read at a time.
    ///   - progress: called with the rows done and in all.
    public static func fit(source: RowSource, blockRows: Int = 16384,
                           progress: ((Int, Int) -> Void)? = nil) throws -> PCATransform {
        var statistics = CovarianceAccumulator(dimension: source.dimension)
        try source.forEachBlock(rows: blockRows) { first, block in
            statistics.add(block.normalizedRows())
            progress?(first + block.rows, source.rowCount)
        }
        return try PCATransform(statistics: statistics)
    }

    /// All `d` axes from the mean and covariance of the **normalised** corpus, accumulated in one pass (so a
    /// corpus too large for memory is fitted block by block).
    public init(statistics: CovarianceAccumulator) throws(MathError) {
        let d = statistics.dimension
        let eigen = try statistics.principalAxes()
        self.init(mean: statistics.mean().map(Float.init),
                  components: Matrix(rows: d, columns: d, storage: eigen.vectors.map(Float.init)),
                  variances: eigen.values)
    }

    /// Projects `x` (`n × d`): normalise rows, centre by ``mean``, multiply by the axes; `n × outputDimension`.
    public func apply(_ x: Matrix) -> Matrix {
        precondition(x.columns == inputDimension, "PCA expects \(inputDimension)-d vectors, got \(x.columns)")
        var centred = x.normalizedRows()
        centred.subtractFromRows(mean)
        return BLAS.matmul(centred, components, transposeB: true)
    }
}
