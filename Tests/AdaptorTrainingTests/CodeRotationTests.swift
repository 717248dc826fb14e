@testable import AdaptorTraining
import Foundation
import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

/// The code stage of `fit --precision`: the polar factor by hand, ITQ lowering its own objective, and the rotation
/// folded into the model exactly.
@Suite struct CodeRotationTests {
    /// `M = Q S` with `Q` a rotation by 0.3 rad and `S` symmetric positive definite: the polar factor is `Q`.
    @Test func thePolarFactorOfQTimesSIsQ() throws {
        let c = Float(cos(0.3)), s = Float(sin(0.3))
        let q = Matrix([[c, -s], [s, c]]), spd = Matrix([[2, 0.5], [0.5, 1]])
        let polar = try CodeRotation.polarFactor(BLAS.matmul(q, spd))
        #expect(maxAbsoluteDifference(polar, q) < 1e-5)
    }

    /// ITQ's objective `‖Q(V R) − V R‖²` after the alternation is at most its value at `R = I`, for binary and int2
    /// codes, and `R` stays orthogonal.
    @Test(arguments: [Precision.binary, .int2])
    func itqLowersTheQuantisationLoss(precision: Precision) throws {
        // Correlated columns (a random mix), so that the identity is a poor rotation for the codes.
        let base = Fixtures.randomMatrix(rows: 400, columns: 8, seed: 11)
        var v = BLAS.matmul(base, Fixtures.randomMatrix(rows: 8, columns: 8, seed: 12))
        v.subtractFromRows(v.columnMeans())
        func loss(_ r: Matrix) -> Float {
            let z = BLAS.matmul(v, r)
            let b = CodeRotation.reconstruction(z, precision: precision)
            // Binary's ±1 has its own scale: compare after the best scale, as Procrustes is scale-free.
            let scale = zip(b.storage, z.storage).reduce(0) { $0 + $1.0 * $1.1 } / b.storage.reduce(0) { $0 + $1 * $1 }
            return zip(b.storage, z.storage).reduce(0) { $0 + ($1.0 * scale - $1.1) * ($1.0 * scale - $1.1) }
        }
        var identity = Matrix(rows: 8, columns: 8)
        for i in 0 ..< 8 { identity[i, i] = 1 }
        let r = try CodeRotation.itq(v, precision: precision, iterations: 30)
        #expect(loss(r) < loss(identity))
        let gram = BLAS.matmul(r, transposeA: true, r)
        #expect(maxAbsoluteDifference(gram, identity) < 1e-4)
    }

    /// Folding segment rotations into the model: its stored-order output becomes each segment times its `R`, so
    /// inner products of prefixes at the model's sizes are unchanged (with and without a coordinate permutation).
    @Test(arguments: [nil, [4, 1, 0, 5, 3, 2]] as [[Int]?])
    func foldedRotationRotatesEachSegment(permutation: [Int]?) throws {
        let model = try Fixtures.smallModel(centering: true, permutation: permutation)
        let x = Fixtures.randomMatrix(rows: 9, columns: 6, seed: 13)
        let c = Float(cos(0.7)), s = Float(sin(0.7))
        let r0 = Matrix([[c, -s], [s, c]])
        let r1 = try CodeRotation.polarFactor(Fixtures.randomMatrix(rows: 4, columns: 4, seed: 14))
        let rotated = CodeRotation.rotating(model, by: [r0, r1])
        let before = model.apply(x), after = rotated.apply(x)
        let expected = Matrix(rows: 9, columns: 6, storage: (0 ..< 9).flatMap { i -> [Float] in
            let row = Matrix([Array(before.storage[i * 6 ..< i * 6 + 6])])
            return BLAS.matmul(row.columns(0 ..< 2), r0).storage + BLAS.matmul(row.columns(2 ..< 6), r1).storage
        })
        #expect(maxAbsoluteDifference(after, expected) < 1e-5)
        let gramBefore = BLAS.matmul(before.columns(0 ..< 2), before.columns(0 ..< 2), transposeB: true)
        let gramAfter = BLAS.matmul(after.columns(0 ..< 2), after.columns(0 ..< 2), transposeB: true)
        #expect(maxAbsoluteDifference(gramBefore, gramAfter) < 1e-5)
    }

    /// The code stage keeps a segment's rotation only when held-out fidelity through the codes rises at its size, and
    /// says so per size.
    @Test func theChoiceFollowsHeldOutFidelity() throws {
        let model = try Fixtures.smallModel()
        let corpus = Fixtures.randomMatrix(rows: 300, columns: 6, seed: 15)
        let choice = try CodeRotation.choose(for: model, precision: .binary, corpus: corpus)
        // A segment is kept only when it raised fidelity at its size; one not kept leaves that size where it was
        // (segments before it are decided first, so the size's codes are unchanged).
        if choice.kept[0] {
            #expect(choice.fidelity.after[0] > choice.fidelity.before[0])
        } else {
            #expect(choice.fidelity.after[0] == choice.fidelity.before[0])
        }
        #expect(choice.summary.hasPrefix("code stage, held-out neighbour-recall@10 through the codes: m=2 "))
        #expect(choice.rotated == choice.kept.contains(true))
        #expect(choice.fidelity.before.allSatisfy { (0 ... 1).contains($0) })
    }
}
