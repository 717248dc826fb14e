import EmbeddingMath
import Testing
import _TestSupport

@Suite struct BLASTests {
    /// Reference product by the textbook triple loop, in Double.
    func naive(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> [[Double]] {
        let m = ta ? a.columns : a.rows, k = ta ? a.rows : a.columns, n = tb ? b.rows : b.columns
        return (0 ..< m).map { i in
            (0 ..< n).map { j in
                (0 ..< k).reduce(0.0) { sum, l in
                    sum + Double(ta ? a[l, i] : a[i, l]) * Double(tb ? b[j, l] : b[l, j])
                }
            }
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulMatchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        let a = Fixtures.randomMatrix(rows: transposeA ? 7 : 5, columns: transposeA ? 5 : 7, seed: 1)
        let b = Fixtures.randomMatrix(rows: transposeB ? 3 : 7, columns: transposeB ? 7 : 3, seed: 2)
        let c = BLAS.matmul(a, transposeA: transposeA, b, transposeB: transposeB)
        let expected = naive(a, transposeA, b, transposeB)
        #expect(c.rows == 5 && c.columns == 3)
        for i in 0 ..< 5 { for j in 0 ..< 3 { #expect(abs(Double(c[i, j]) - expected[i][j]) < 1e-4) } }
    }

    @Test func gemmAccumulatesWithBeta() {
        let a = Matrix([[1, 2], [3, 4]])
        let identity = Matrix([[1, 0], [0, 1]])
        var c = Matrix([[10, 10], [10, 10]])
        BLAS.gemm(a, identity, alpha: 2, beta: 0.5, into: &c)
        #expect(c == Matrix([[7, 9], [11, 13]]))
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func tiledProductsAreIdenticalForAnyThreadCount(transposeA: Bool, transposeB: Bool) {
        // Large enough to be split into tiles of rows (m ≥ n) and, transposed, of columns.
        for (m, n, k) in [(300, 130, 200), (130, 300, 200)] {
            let a = Fixtures.randomMatrix(rows: transposeA ? k : m, columns: transposeA ? m : k, seed: 7)
            let b = Fixtures.randomMatrix(rows: transposeB ? n : k, columns: transposeB ? k : n, seed: 8)
            let one = Parallelism.$threads.withValue(1) { BLAS.matmul(a, transposeA: transposeA, b, transposeB: transposeB) }
            for threads in [2, 5] {
                let many = Parallelism.$threads.withValue(threads) {
                    BLAS.matmul(a, transposeA: transposeA, b, transposeB: transposeB)
                }
                #expect(many == one, "\(m) × \(n) × \(k) on \(threads) threads")
            }
            let expected = naive(a, transposeA, b, transposeB)
            #expect((0 ..< m).allSatisfy { i in (0 ..< n).allSatisfy { abs(Double(one[i, $0]) - expected[i][$0]) < 1e-3 } })
        }
    }
}
