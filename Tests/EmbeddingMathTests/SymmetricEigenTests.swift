import EmbeddingMath
import Testing

@Suite struct SymmetricEigenTests {
    @Test func twoByTwoHandComputed() throws {
        // [[2, 1], [1, 2]] has eigenvalues 3 (axis (1, 1)/√2) and 1 (axis (1, -1)/√2).
        let eigen = try SymmetricEigen(symmetric: [2, 1, 1, 2], dimension: 2)
        #expect(abs(eigen.values[0] - 3) < 1e-12 && abs(eigen.values[1] - 1) < 1e-12)
        let v = eigen.vectors
        #expect(abs(abs(v[0]) - 0.5.squareRoot()) < 1e-12 && abs(v[0] - v[1]) < 1e-12)
        #expect(abs(v[2] + v[3]) < 1e-12)
    }

    @Test func reconstructsTheMatrix() throws {
        let a: [Double] = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 1]
        let eigen = try SymmetricEigen(symmetric: a, dimension: 3)
        #expect(eigen.values == eigen.values.sorted(by: >))
        for i in 0 ..< 3 {
            for j in 0 ..< 3 {
                let sum = (0 ..< 3).reduce(0.0) { $0 + eigen.values[$1] * eigen.vectors[$1 * 3 + i] * eigen.vectors[$1 * 3 + j] }
                #expect(abs(sum - a[i * 3 + j]) < 1e-10)
            }
        }
    }

    @Test func nanInputIsAnError() {
        #expect(throws: MathError.self) { try SymmetricEigen(symmetric: [.nan, 0, 0, 1], dimension: 2) }
    }
}
