import EmbeddingMath
import Testing
import VectorSearch
import _TestSupport

@Suite struct PCATransformTests {
    @Test func axesAreOrthonormalAndSortedByVariance() throws {
        let corpus = Fixtures.randomMatrix(rows: 300, columns: 6, seed: 5)
        let pca = try PCATransform.fit(corpus: corpus)
        #expect(pca.variances == pca.variances.sorted(by: >))
        let gram = BLAS.matmul(pca.components, pca.components, transposeB: true)
        for i in 0 ..< 6 { for j in 0 ..< 6 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-5) } }
    }

    @Test func handComputedProjection() throws {
        // Unit vectors at ±45° around the x axis: normalised rows (a, ±a) with a = 1/√2, mean (a, 0).
        // Centred rows are (0, ±a): all variance (a² = 0.5) lies on the y axis, none on x.
        let corpus = Matrix([[1, 1], [1, -1], [2, 2], [2, -2]])
        let pca = try PCATransform.fit(corpus: corpus)
        #expect(abs(pca.variances[0] - 0.5) < 1e-6 && abs(pca.variances[1]) < 1e-6)
        #expect(abs(abs(pca.components[0, 1]) - 1) < 1e-6)
        let projected = pca.apply(Matrix([[1, 1]]))
        #expect(abs(abs(projected[0, 0]) - Float(0.5).squareRoot()) < 1e-6 && abs(projected[0, 1]) < 1e-6)
    }

    @Test func fullDimensionProjectionKeepsCentredCosines() throws {
        let corpus = Fixtures.randomMatrix(rows: 50, columns: 8, seed: 6)
        let pca = try PCATransform.fit(corpus: corpus)
        var centred = corpus.normalizedRows()
        centred.subtractFromRows(pca.mean)
        let before = BLAS.matmul(centred, centred, transposeB: true)
        let projected = pca.apply(corpus)
        let after = BLAS.matmul(projected, projected, transposeB: true)
        for i in 0 ..< 50 { for j in 0 ..< 50 { #expect(abs(before[i, j] - after[i, j]) < 1e-5) } }
    }
}
