import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

/// Finite-difference checks (in Double, against an independent reference) of the similarity and
/// reconstruction losses, at several size sets `M`, batch sizes and both reductions' weights.
@Suite struct SimilarityLossGradientTests {
    static let cases: [(sizes: [Int], rows: Int, weight: Float)] = [
        ([3, 6, 12], 5, 1), ([12], 4, 1), ([1, 2, 4, 8, 12], 7, 1 / 42), ([5, 9], 3, 0.25), ([2, 7, 12], 9, 1 / 72),
    ]

    /// Targets kept away from the prefix cosines so that |t - sim| is differentiable at the test point.
    func targets(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in g.nextUnitFloat() * 1.8 - 0.9 }
    }

    @Test(arguments: cases)
    func allPairsGradientMatchesFiniteDifferences(sizes: [Int], rows: Int, weight: Float) {
        let y = Fixtures.randomMatrix(rows: rows, columns: 12, seed: UInt64(rows))
        let loss = SimilarityLoss(sizes: MatryoshkaSizes(sizes, dimension: 12))
        var t = Matrix(rows: rows, columns: rows)
        let values = targets(rows * rows, seed: 3)
        for i in 0 ..< rows { for j in 0 ..< rows { t[i, j] = values[min(i, j) * rows + max(i, j)] } }
        var gradient = Matrix(rows: rows, columns: 12)
        let value = loss.allPairs(outputs: y, targets: t, weight: weight, gradient: &gradient)
        let pairs = DoubleReference.orderedPairs(rows)
        let pairTargets = pairs.map { Double(t[$0.0, $0.1]) }
        let yd = y.doubleRows
        let reference = { DoubleReference.similarityLoss($0, pairs: pairs, targets: pairTargets, sizes: sizes, weight: Double(weight)) }
        #expect(agree(value, reference(yd), relative: 1e-5))
        expectGradient(gradient, matches: reference, at: yd, name: "∂/∂y")
    }

    @Test(arguments: cases)
    func pairListGradientMatchesFiniteDifferences(sizes: [Int], rows: Int, weight: Float) {
        let y = Fixtures.randomMatrix(rows: rows, columns: 12, seed: UInt64(rows + 10))
        let loss = SimilarityLoss(sizes: MatryoshkaSizes(sizes, dimension: 12))
        // Each row paired with the next two (a repeated row pair too), as anchors with their neighbours.
        let pairs = (0 ..< rows).flatMap { i in [(i, (i + 1) % rows), (i, (i + 2) % rows)] } + [(0, 1)]
        let t = targets(pairs.count, seed: 4)
        var gradient = Matrix(rows: rows, columns: 12)
        let value = loss.pairList(outputs: y, pairs: pairs, targets: t, weight: weight, gradient: &gradient)
        let yd = y.doubleRows
        let td = t.map(Double.init)
        let reference = { DoubleReference.similarityLoss($0, pairs: pairs, targets: td, sizes: sizes, weight: Double(weight)) }
        #expect(agree(value, reference(yd), relative: 1e-5))
        expectGradient(gradient, matches: reference, at: yd, name: "∂/∂y")
    }

    @Test func coordinatesBeyondTheLargestSizeGetNoGradient() {
        let y = Fixtures.randomMatrix(rows: 3, columns: 8, seed: 1)
        var gradient = Matrix(rows: 3, columns: 8)
        _ = SimilarityLoss(sizes: MatryoshkaSizes([2, 4], dimension: 8))
            .pairList(outputs: y, pairs: [(0, 1), (1, 2)], targets: [0.5, -0.5], weight: 1, gradient: &gradient)
        for i in 0 ..< 3 { #expect(gradient.row(i)[4...].allSatisfy { $0 == 0 }) }
        #expect(gradient.storage.contains { $0 != 0 })
    }

    @Test(arguments: [Float(1) / 12, Float(1) / 60])
    func reconstructionGradientMatchesFiniteDifferences(weight: Float) {
        let r = Fixtures.randomMatrix(rows: 5, columns: 12, seed: 8)
        let rec = ReconstructionLoss()(residual: r, weight: weight)
        let (value, gradient) = (rec.value, rec.gradient)
        let reference = { (m: [[Double]]) in m.flatMap { $0 }.reduce(0) { $0 + abs($1) } * Double(weight) }
        let rd = r.doubleRows
        #expect(agree(value, reference(rd), relative: 1e-6))
        expectGradient(gradient, matches: reference, at: rd, name: "∂/∂f")
    }
}
