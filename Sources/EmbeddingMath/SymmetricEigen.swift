import _COpenBLAS

/// Eigendecomposition of a real symmetric matrix, via LAPACK `dsyevd` (divide and conquer, double).
public struct SymmetricEigen: Sendable {
    /// Eigenvalues, sorted in **descending** order (`d` values).
    public let values: [Double]
    /// Eigenvectors as the rows of a `d × d` row-major array: row `i` is the unit vector of `values[i]`.
    public let vectors: [Double]
    /// The matrix dimension `d`.
    public let dimension: Int

    /// Decomposes the symmetric `d × d` row-major matrix `a` (only symmetry is assumed; no check).
    ///
    /// `A = Σ_i λ_i v_i v_iᵀ` with `λ_1 ≥ λ_2 ≥ … ≥ λ_d` and orthonormal `v_i`.
    public init(symmetric a: [Double], dimension d: Int) throws(MathError) {
        precondition(a.count == d * d, "SymmetricEigen needs \(d * d) elements, got \(a.count)")
        dimension = d
        guard a.allSatisfy(\.isFinite) else { throw .nonFinite(routine: "SymmetricEigen") }
        guard d > 0 else { values = []; vectors = []; return }
        _ = BLAS.threading
        // Column-major and row-major views of a symmetric matrix coincide; LAPACK returns the
        // eigenvectors as columns of the column-major result, i.e. as rows of our row-major array.
        var matrix = a
        var w = [Double](repeating: 0, count: d)
        var n = Int32(d), lda = Int32(d), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var workQuery = [Double](repeating: 0, count: 1)
        var iworkQuery = [Int32](repeating: 0, count: 1)
        let jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        withUnsafePointer(to: jobz) { pj in
            withUnsafePointer(to: uplo) { pu in
                dsyevd_(pj, pu, &n, &matrix, &lda, &w, &workQuery, &lwork, &iworkQuery, &liwork, &info)
            }
        }
        guard info == 0 else { throw .lapack(routine: "dsyevd", info: Int(info)) }
        lwork = Int32(workQuery[0])
        liwork = iworkQuery[0]
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        withUnsafePointer(to: jobz) { pj in
            withUnsafePointer(to: uplo) { pu in
                dsyevd_(pj, pu, &n, &matrix, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
            }
        }
        guard info == 0 else { throw .lapack(routine: "dsyevd", info: Int(info)) }
        // LAPACK sorts ascending; reverse to descending.
        values = Array(w.reversed())
        var rowsDescending = [Double](repeating: 0, count: d * d)
        for i in 0 ..< d {
            let source = d - 1 - i
            for j in 0 ..< d { rowsDescending[i * d + j] = matrix[source * d + j] }
        }
        vectors = rowsDescending
    }
}

/// Failures of numerical routines that a caller can meet with valid shapes.
public enum MathError: Error, Equatable, CustomStringConvertible {
    /// A LAPACK routine returned a non-zero `info`.
    case lapack(routine: String, info: Int)
    /// The input held NaN or infinite values.
    case nonFinite(routine: String)

    public var description: String {
        switch self {
        case let .lapack(routine, info):
            return "LAPACK \(routine) failed with info = \(info)"
        case let .nonFinite(routine):
            return "\(routine): the input holds NaN or infinite values"
        }
    }
}
