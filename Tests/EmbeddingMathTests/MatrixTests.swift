import EmbeddingMath
import Testing
import _TestSupport

@Suite struct MatrixTests {
    @Test func prefixKeepsLeadingColumns() {
        let m = Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.prefix(columns: 2) == Matrix([[1, 2], [4, 5]]))
        #expect(m.prefix(columns: 3) == m)
    }

    @Test func normalizedPrefixIsUnitLength() {
        let m = Matrix([[3, 4, 100], [0, 0, 1]])
        let p = m.normalizedPrefix(columns: 2)
        #expect(p.row(0) == [0.6, 0.8])
        // A prefix of zeros has no direction; it stays zero rather than becoming NaN.
        #expect(p.row(1) == [0, 0])
    }

    @Test func rowNormsAndMeans() {
        let m = Matrix([[3, 4], [6, 8]])
        #expect(m.rowNorms() == [5, 10])
        #expect(m.columnMeans() == [4.5, 6])
        var centred = m
        centred.subtractFromRows([4.5, 6])
        #expect(centred == Matrix([[-1.5, -2], [1.5, 2]]))
    }

    @Test func recentredRowsAreUnitRowsAboutTheCentre() {
        let m = Matrix([[1, 0], [0, 1]])
        // (1, 0) − (0.5, 0.5) = (0.5, −0.5), of norm √0.5; the second row mirrors it.
        let r = m.recentred(on: [0.5, 0.5])
        let s = Float(0.5).squareRoot()
        #expect(abs(r[0, 0] - s) < 1e-6 && abs(r[0, 1] + s) < 1e-6)
        #expect(abs(r[1, 0] + s) < 1e-6 && abs(r[1, 1] - s) < 1e-6)
        #expect(m.recentred(on: nil) == m)
        // A row equal to the centre has no direction; it stays zero.
        #expect(Matrix([[0.5, 0.5]]).recentred(on: [0.5, 0.5]).row(0) == [0, 0])
    }

    @Test func gatherRowsInGivenOrder() {
        let m = Matrix([[1], [2], [3]])
        #expect(m.gatherRows([2, 0, 2]) == Matrix([[3], [1], [3]]))
    }

    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 33, 100, 384])
    func simdDotMatchesScalarSum(count: Int) {
        let a = Fixtures.randomMatrix(rows: 1, columns: max(count, 1), seed: 3).storage
        let b = Fixtures.randomMatrix(rows: 1, columns: max(count, 1), seed: 4).storage
        let expected = (0 ..< count).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1]) }
        let got = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in Kernels.dot(pa.baseAddress!, pb.baseAddress!, count: count) }
        }
        #expect(abs(Double(got) - expected) < 1e-4)
    }

    @Test func seededGeneratorIsReproducible() {
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42), g3 = SeededGenerator(seed: 43)
        let a = (0 ..< 5).map { _ in g1.next() }
        #expect(a == (0 ..< 5).map { _ in g2.next() })
        #expect(a != (0 ..< 5).map { _ in g3.next() })
        var g = SeededGenerator(seed: 7)
        let samples = (0 ..< 20000).map { _ in Double(g.nextGaussian()) }
        let mean = samples.reduce(0, +) / 20000
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}
