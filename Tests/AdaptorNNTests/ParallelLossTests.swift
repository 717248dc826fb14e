import AdaptorNN
import EmbeddingMath
import Testing
import _TestSupport

/// The prefix-cosine losses split their element-wise work into jobs of rows (and of columns, for the second
/// side's sums) fixed by the shapes. These shapes are large enough for several jobs of each kind, which the
/// finite-difference tests' small shapes never make.
@Suite struct ParallelLossTests {
    /// 300 rows against 40 anchors: two row jobs (27 rows each at most) and two column jobs (204 columns).
    static let rows = 300, anchors = 40, dimension = 12, sizes = [3, 6, 12]

    static func targets(rows: Int, columns: Int, seed: UInt64) -> Matrix {
        var t = Matrix(rows: rows, columns: columns)
        var g = SeededGenerator(seed: seed)
        for i in t.storage.indices { t.storage[i] = g.nextUnitFloat() * 2 - 1 }
        return t
    }

    /// Each loss on several jobs: its value and its gradient(s), for comparing across thread counts.
    static func evaluate(_ loss: String) -> (Double, [Matrix]) {
        let y = Fixtures.randomMatrix(rows: rows, columns: dimension, seed: 81)
        let m = MatryoshkaSizes(sizes, dimension: dimension)
        switch loss {
        case "distill":
            let distilled = DistillationLoss(sizes: m, temperature: 0.2, sizeWeights: [1, 2, 5])(
                outputs: y, anchors: anchors, targets: targets(rows: anchors, columns: rows, seed: 82))
            return (distilled.value, [distilled.gradient])
        case "pairs":
            var gradient = Matrix(rows: rows, columns: dimension)
            let value = SimilarityLoss(sizes: m).allPairs(outputs: y, targets: targets(rows: rows, columns: rows, seed: 83),
                                                          weight: 0.01, gradient: &gradient)
            return (value, [gradient])
        default:
            var grades = Matrix(rows: anchors, columns: rows)
            for i in 0 ..< anchors {
                grades[i, (7 * i) % rows] = 2
                grades[i, (7 * i + 150) % rows] = 1
            }
            let queries = Fixtures.randomMatrix(rows: anchors, columns: dimension, seed: 84)
            let rank = RankingLoss(sizes: m)(queries: queries, documents: y, grades: grades, weight: 0.5)
            return (rank.value, [rank.gradient.queries, rank.gradient.documents])
        }
    }

    @Test(arguments: ["distill", "pairs", "ranking"])
    func identicalForAnyThreadCount(loss: String) {
        let (value, gradients) = Parallelism.$threads.withValue(1) { Self.evaluate(loss) }
        for threads in [2, 3, 8] {
            let (other, otherGradients) = Parallelism.$threads.withValue(threads) { Self.evaluate(loss) }
            #expect(other == value, "\(loss), \(threads) threads")
            #expect(otherGradients.map(\.storage) == gradients.map(\.storage), "\(loss), \(threads) threads")
        }
    }

    /// On several jobs the distillation loss and its gradient still agree with the Double reference: the value,
    /// and the directional derivative along a random direction (every row and column of the gradient at once).
    @Test func distillationOnSeveralJobsMatchesTheReference() {
        let y = Fixtures.randomMatrix(rows: Self.rows, columns: Self.dimension, seed: 81)
        let t = Self.targets(rows: Self.anchors, columns: Self.rows, seed: 82)
        let weights: [Float] = [1, 2, 5]
        let loss = DistillationLoss(sizes: MatryoshkaSizes(Self.sizes, dimension: Self.dimension), temperature: 0.2,
                                    sizeWeights: weights)
        let distilled = Parallelism.$threads.withValue(3) { loss(outputs: y, anchors: Self.anchors, targets: t) }
        let (value, gradient) = (distilled.value, distilled.gradient)
        let reference = DistillationLossGradientTests()
        let yd = y.doubleRows, td = t.doubleRows, wd = weights.map(Double.init)
        func f(_ point: [[Double]]) -> Double {
            reference.reference(point, anchors: Self.anchors, targets: td, sizes: Self.sizes, tau: 0.2, weight: 1,
                                sizeWeights: wd)
        }
        #expect(agree(value, f(yd), relative: 1e-5))
        let direction = Fixtures.randomMatrix(rows: Self.rows, columns: Self.dimension, seed: 85).doubleRows
        let numeric = centralDifference { e in f(zip(yd, direction).map { row, v in zip(row, v).map { $0 + e * $1 } }) }
        let analytic = zip(gradient.doubleRows, direction).reduce(0.0) { sum, pair in
            sum + zip(pair.0, pair.1).reduce(0.0) { $0 + $1.0 * $1.1 }
        }
        #expect(agree(analytic, numeric, relative: 1e-3), "\(analytic) vs \(numeric)")
    }
}
