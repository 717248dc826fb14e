import _COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major).
///
/// OpenBLAS always runs on one thread (whatever `OPENBLAS_NUM_THREADS` says); large products are split here into
/// tiles of ``tileRows`` rows (or columns) of the result, fixed by the shape alone, and the tiles run on
/// ``Parallelism/threads`` workers. Each tile is one single-threaded `sgemm` over the full inner dimension, so
/// every element is computed the same way whatever the thread count (OpenBLAS's own threading splits `Aᵀ B`
/// differently on two threads than on one), and no idle OpenBLAS worker spins in `sched_yield` between calls.
public enum BLAS {
    /// Rows (or columns) of the result per tile of a large product.
    public static let tileRows = 128
    /// Products of fewer floating-point operations than this run as one call.
    public static let tiledAbove = 1 << 22

    /// Applied once, before the first BLAS or LAPACK call of any kind (products, `dsyrk`, `dsyevd`): OpenBLAS's
    /// own threads would compete with the library's workers and change results with the thread count.
    @usableFromInline static let threading: Void = {
        openblas_set_num_threads(1)
    }()

    /// The number of threads OpenBLAS uses.
    public static var threadCount: Int {
        _ = threading
        return Int(openblas_get_num_threads())
    }

    /// Raw row-major `C ← α · op(A) · op(B) + β · C` with leading dimensions, for blocked kernels.
    ///
    /// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`; `lda`, `ldb`, `ldc` are the row strides
    /// of the stored matrices (so a column prefix of a wider matrix is passed with its full width).
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        _ = threading
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc)
        )
    }

    /// ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` split into fixed tiles of the
    /// result that run in parallel: rows of `C` in tiles of ``tileRows`` when `m ≥ n`, else columns. The
    /// tiles depend only on `m`, `n` and `k`, so the result is bit-identical for any thread count.
    public static func tiledSgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = Parallelism.threads
    ) {
        let byRows = m >= n
        let long = byRows ? m : n
        guard 2 * m * n * k >= tiledAbove, long > tileRows else {
            sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let pointers = UncheckedSendable((a, b, c))
        Parallelism.forEach(jobs: (long + tileRows - 1) / tileRows, threads: threads) { tile, _ in
            let (a, b, c) = pointers.value
            let start = tile * tileRows, count = min(tileRows, long - start)
            if byRows {
                // Rows start..<start+count of op(A): a row offset of A, or a column offset of Aᵀ.
                sgemm(transposeA: transposeA, transposeB: transposeB, m: count, n: n, k: k, alpha: alpha,
                      a: a + (transposeA ? start : start * lda), lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c + start * ldc, ldc: ldc)
            } else {
                sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: count, k: k, alpha: alpha,
                      a: a, lda: lda, b: b + (transposeB ? start * ldb : start), ldb: ldb,
                      beta: beta, c: c + start, ldc: ldc)
            }
        }
    }

    /// `C ← α · op(A) · op(B) + β · C` on whole matrices, with shape checks (tiled and parallel when large).
    ///
    /// - Parameters:
    ///   - a: `m × k` (or `k × m` with `transposeA`).
    ///   - b: `k × n` (or `n × k` with `transposeB`).
    ///   - c: `m × n`, overwritten when `beta == 0`.
    ///   - transposeA: use `Aᵀ`.
    ///   - transposeB: use `Bᵀ`.
    ///   - alpha: `α`.
    ///   - beta: `β` (0: `C` is overwritten).
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "gemm inner dimensions differ: \(m) × \(k) times \(kb) × \(n)")
        precondition(c.rows == m && c.columns == n, "gemm output is \(c.rows) × \(c.columns), expected \(m) × \(n)")
        if k == 0 {
            if beta == 0 { c.storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            else { for i in c.storage.indices { c.storage[i] *= beta } }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    tiledSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                               a: pa.baseAddress!, lda: max(a.columns, 1), b: pb.baseAddress!, ldb: max(b.columns, 1),
                               beta: beta, c: pc.baseAddress!, ldc: max(n, 1))
                }
            }
        }
    }

    /// `op(A) · op(B)` as a new matrix (see ``gemm(_:transposeA:_:transposeB:alpha:beta:into:)``).
    public static func matmul(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        let rows = transposeA ? a.columns : a.rows, columns = transposeB ? b.rows : b.columns
        let inner = transposeA ? a.rows : a.columns
        // β = 0 overwrites every element unless the inner dimension is empty.
        var c = inner == 0 ? Matrix(rows: rows, columns: columns) : Matrix(rows: rows, columns: columns) { _ in }
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
}
