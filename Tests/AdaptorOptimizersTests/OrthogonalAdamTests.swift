import AdaptorOptimizers
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct OrthogonalAdamTests {
    /// `L(P) = ½ ‖P A − B‖²_F`, with Euclidean gradient `G = (P A − B) Aᵀ`.
    struct Problem {
        let a: Matrix, b: Matrix
        func loss(_ p: Matrix) -> Double {
            let r = BLAS.matmul(p, a)
            return zip(r.storage, b.storage).reduce(0.0) { $0 + 0.5 * Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        }
        func gradient(_ p: Matrix) -> Matrix {
            var r = BLAS.matmul(p, a)
            for i in r.storage.indices { r.storage[i] -= b.storage[i] }
            return BLAS.matmul(r, a, transposeB: true)
        }
    }

    func orthogonal(_ d: Int, seed: UInt64) -> Matrix {
        var p = Fixtures.randomMatrix(rows: d, columns: d, seed: seed)
        // Gram–Schmidt on the rows, in Double.
        var rows = (0 ..< d).map { i in (0 ..< d).map { Double(p[i, $0]) } }
        for i in 0 ..< d {
            for j in 0 ..< i {
                let dot = zip(rows[i], rows[j]).reduce(0) { $0 + $1.0 * $1.1 }
                for k in 0 ..< d { rows[i][k] -= dot * rows[j][k] }
            }
            let norm = rows[i].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for k in 0 ..< d { rows[i][k] /= norm }
        }
        for i in 0 ..< d { for k in 0 ..< d { p[i, k] = Float(rows[i][k]) } }
        return p
    }

    func largestOffIdentity(_ p: Matrix) -> Float {
        let gram = BLAS.matmul(p, p, transposeB: true)
        var worst: Float = 0
        for i in 0 ..< p.rows { for j in 0 ..< p.rows { worst = max(worst, abs(gram[i, j] - (i == j ? 1 : 0))) } }
        return worst
    }

    /// Finite differences: along a skew direction `S`, `d/dt L((I + tS) P)|₀ = ⟨G Pᵀ, S⟩ = ½ ⟨Ω, S⟩`, so the lifted
    /// gradient `Ω` is the whole of the loss's first-order change along the orthogonal group.
    @Test func liftedGradientMatchesFiniteDifferences() {
        let d = 6
        let problem = Problem(a: Fixtures.randomMatrix(rows: d, columns: 9, seed: 2),
                              b: Fixtures.randomMatrix(rows: d, columns: 9, seed: 3))
        let p = orthogonal(d, seed: 4)
        let omega = OrthogonalAdam.liftedGradient(problem.gradient(p), at: p)
        for i in 0 ..< d { for j in 0 ..< d { #expect(abs(omega[i, j] + omega[j, i]) < 1e-6, "Ω is skew") } }
        let raw = Fixtures.randomMatrix(rows: d, columns: d, seed: 5)
        var s = Matrix(rows: d, columns: d)
        for i in 0 ..< d { for j in 0 ..< d { s[i, j] = raw[i, j] - raw[j, i] } }
        func moved(_ t: Float) -> Matrix {
            var step = s
            for i in step.storage.indices { step.storage[i] *= t }
            for i in 0 ..< d { step[i, i] += 1 }
            return BLAS.matmul(step, p)
        }
        let h: Float = 1e-2
        let numeric = (problem.loss(moved(h)) - problem.loss(moved(-h))) / Double(2 * h)
        let analytic = 0.5 * zip(omega.storage, s.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(numeric - analytic) <= 1e-3 * max(1, abs(analytic)), "numeric \(numeric), analytic \(analytic)")
    }

    /// Newton–Schulz takes a matrix near the orthogonal group onto it.
    @Test func orthogonaliseRestoresOrthogonality() {
        var p = orthogonal(8, seed: 6)
        let noise = Fixtures.randomMatrix(rows: 8, columns: 8, seed: 7)
        for i in p.storage.indices { p.storage[i] += 0.02 * noise.storage[i] }
        #expect(largestOffIdentity(p) > 1e-2)
        OrthogonalAdam.orthogonalise(&p, tolerance: 2e-6)
        #expect(largestOffIdentity(p) <= 2e-6)
    }

    /// Trained towards an orthogonal target `Q` (`L = ½ ‖P − Q‖²`), `P` reaches it and stays orthogonal throughout.
    @Test func reachesAnOrthogonalTargetStayingOrthogonal() {
        let d = 8
        var identity = Matrix(rows: d, columns: d)
        for i in 0 ..< d { identity[i, i] = 1 }
        // A target in the identity's component of the group: the polar factor of I + 0.2 S, S skew.
        let raw = Fixtures.randomMatrix(rows: d, columns: d, seed: 8)
        var target = identity
        for i in 0 ..< d { for j in 0 ..< d { target[i, j] += 0.2 * (raw[i, j] - raw[j, i]) } }
        OrthogonalAdam.orthogonalise(&target, tolerance: 1e-6, maxIterations: 40)
        #expect(largestOffIdentity(target) <= 1e-6)
        let problem = Problem(a: identity, b: target)
        var p = identity
        let start = problem.loss(p)
        var optimiser = OrthogonalAdam(learningRate: 0.02, dimension: d)
        var worst: Float = 0
        for _ in 0 ..< 400 {
            optimiser.update(&p, along: problem.gradient(p))
            worst = max(worst, largestOffIdentity(p))
        }
        #expect(worst <= 1e-5)
        #expect(problem.loss(p) < 1e-3 * start, "loss \(problem.loss(p)) from \(start)")
        #expect(optimiser.step == 400)
    }
}
