import AdaptorNN
import EmbeddingMath
import Foundation
import Testing
import _TestSupport

/// Finite-difference checks (in Double, against an independent reference) of the ranking loss and of
/// Search-Adaptor's prediction term.
@Suite struct SupervisedLossGradientTests {
    /// `Σ_m (1/T) Σ_{(i,j,k): y_ij > y_ik} (y_ij - y_ik) log(1 + exp(s_ik - s_ij))`.
    func referenceRank(_ q: [[Double]], _ c: [[Double]], _ y: [[Double]], _ sizes: [Int], _ weight: Double) -> Double {
        var triples: [(Int, Int, Int)] = []
        for i in q.indices { for j in c.indices where y[i][j] > 0 { for k in c.indices where y[i][k] < y[i][j] { triples.append((i, j, k)) } } }
        var total = 0.0
        for m in sizes {
            for (i, j, k) in triples {
                let x = DoubleReference.prefixCosine(q[i], c[k], m) - DoubleReference.prefixCosine(q[i], c[j], m)
                total += (y[i][j] - y[i][k]) * log(1 + exp(x))
            }
        }
        return weight * total / Double(triples.count)
    }

    @Test(arguments: [([4, 8, 10], 3, 7), ([10], 2, 5), ([1, 3, 10], 4, 9)])
    func rankingGradientMatchesFiniteDifferences(sizes: [Int], queryCount: Int, documentCount: Int) {
        let q = Fixtures.randomMatrix(rows: queryCount, columns: 10, seed: 21)
        let c = Fixtures.randomMatrix(rows: documentCount, columns: 10, seed: 22)
        var grades = Matrix(rows: queryCount, columns: documentCount)
        for i in 0 ..< queryCount {
            grades[i, i % documentCount] = 2
            grades[i, (i + 2) % documentCount] = 1
        }
        let loss = RankingLoss(sizes: MatryoshkaSizes(sizes, dimension: 10))
        let rank = loss(queries: q, documents: c, grades: grades, weight: 0.7)
        let (value, dq, dc) = (rank.value, rank.gradient.queries, rank.gradient.documents)
        let qd = q.doubleRows, cd = c.doubleRows, yd = grades.doubleRows
        #expect(agree(value, referenceRank(qd, cd, yd, sizes, 0.7), relative: 1e-5))
        expectGradient(dq, matches: { referenceRank($0, cd, yd, sizes, 0.7) }, at: qd, name: "∂/∂query")
        expectGradient(dc, matches: { referenceRank(qd, $0, yd, sizes, 0.7) }, at: cd, name: "∂/∂document")
    }

    @Test func noTriplesMeansNoLoss() {
        let rank = RankingLoss(sizes: MatryoshkaSizes([4], dimension: 4))(
            queries: Matrix([[1, 0, 0, 0]]), documents: Matrix([[0, 1, 0, 0]]), grades: Matrix([[0]]))
        #expect(rank.value == 0 && rank.gradient.queries.storage.allSatisfy { $0 == 0 })
    }

    @Test func predictionGradientMatchesFiniteDifferences() {
        let d = 5
        let q = Fixtures.randomMatrix(rows: 3, columns: d, seed: 31)
        let c = Fixtures.randomMatrix(rows: 4, columns: d, seed: 32)
        var g = SeededGenerator(seed: 33)
        let loss = PredictionLoss(predictor: Linear(inputs: d, outputs: d, generator: &g))
        let pairs = [(0, 1), (1, 3), (2, 1), (0, 0)]
        let predicted = loss(queries: q, documents: c, pairs: pairs, weight: 2)
        let (value, dq, dc, dg) = (predicted.value, predicted.gradient.queries, predicted.gradient.documents,
                                   predicted.gradient.predictor)
        func reference(_ qd: [[Double]], _ cd: [[Double]], _ w: [[Double]], _ b: [Double]) -> Double {
            pairs.reduce(0.0) { total, pair in
                let predicted = (0 ..< d).map { o in (0 ..< d).reduce(b[o]) { $0 + w[o][$1] * cd[pair.1][$1] } }
                return total + (0 ..< d).reduce(0.0) { $0 + abs(predicted[$1] - qd[pair.0][$1]) }
            } * 2 / Double(pairs.count * d)
        }
        let qd = q.doubleRows, cd = c.doubleRows, wd = loss.predictor.weight.doubleRows, bd = loss.predictor.bias.map(Double.init)
        #expect(agree(value, reference(qd, cd, wd, bd), relative: 1e-5))
        expectGradient(dq, matches: { reference($0, cd, wd, bd) }, at: qd, name: "∂/∂query")
        expectGradient(dc, matches: { reference(qd, $0, wd, bd) }, at: cd, name: "∂/∂document")
        expectGradient(dg.weight, matches: { reference(qd, cd, $0, bd) }, at: wd, name: "∂/∂W")
        for o in 0 ..< d {
            let numeric = centralDifference { e in var m = bd; m[o] += e; return reference(qd, cd, wd, m) }
            #expect(agree(Double(dg.bias[o]), numeric))
        }
    }
}

/// The listwise distillation option, by finite differences in Double against a direct statement of the KL.
@Suite struct DistillationLossGradientTests {
    func reference(_ y: [[Double]], anchors: Int, targets: [[Double]], sizes: [Int], tau: Double, weight: Double,
                   sizeWeights: [Double]? = nil) -> Double {
        var total = 0.0
        for (s, m) in sizes.enumerated() {
            let w = sizeWeights?[s] ?? 1
            for i in 0 ..< anchors {
                let others = y.indices.filter { $0 != i }
                let teacherLogits = others.map { targets[i][$0] / tau }
                let studentLogits = others.map { DoubleReference.prefixCosine(y[i], y[$0], m) / tau }
                let tMax = teacherLogits.max()!, sMax = studentLogits.max()!
                let tSum = teacherLogits.reduce(0) { $0 + exp($1 - tMax) }, sSum = studentLogits.reduce(0) { $0 + exp($1 - sMax) }
                for k in others.indices {
                    let p = exp(teacherLogits[k] - tMax) / tSum
                    let logQ = studentLogits[k] - sMax - log(sSum)
                    total += w * p * (log(p) - logQ)
                }
            }
        }
        return weight * total / Double(anchors)
    }

    @Test(arguments: [([3, 6, 10], 3, Float(0.5)), ([10], 2, 0.2), ([2, 10], 4, 1.0)])
    func gradientMatchesFiniteDifferences(sizes: [Int], anchors: Int, temperature: Float) {
        let y = Fixtures.randomMatrix(rows: 7, columns: 10, seed: 71)
        var t = Matrix(rows: anchors, columns: 7)
        var g = SeededGenerator(seed: 72)
        for i in t.storage.indices { t.storage[i] = g.nextUnitFloat() * 2 - 1 }
        let loss = DistillationLoss(sizes: MatryoshkaSizes(sizes, dimension: 10), temperature: temperature)
        let distilled = loss(outputs: y, anchors: anchors, targets: t, weight: 1.5)
        let (value, gradient) = (distilled.value, distilled.gradient)
        let yd = y.doubleRows, td = t.doubleRows
        #expect(agree(value, reference(yd, anchors: anchors, targets: td, sizes: sizes, tau: Double(temperature), weight: 1.5), relative: 1e-5))
        expectGradient(gradient, matches: { reference($0, anchors: anchors, targets: td, sizes: sizes, tau: Double(temperature), weight: 1.5) },
                       at: yd, name: "∂/∂y")
    }

    /// Per-size weights `w_m` (the `headroom` default) scale each size's KL and its gradient.
    @Test func sizeWeightsScaleEachSize() {
        let y = Fixtures.randomMatrix(rows: 6, columns: 8, seed: 73)
        var t = Matrix(rows: 3, columns: 6)
        var g = SeededGenerator(seed: 74)
        for i in t.storage.indices { t.storage[i] = g.nextUnitFloat() * 2 - 1 }
        let sizes = [2, 4, 8], weights: [Float] = [1, 6.8, 58.7]
        let loss = DistillationLoss(sizes: MatryoshkaSizes(sizes, dimension: 8), temperature: 0.3, sizeWeights: weights)
        let distilled = loss(outputs: y, anchors: 3, targets: t)
        let (value, gradient) = (distilled.value, distilled.gradient)
        let yd = y.doubleRows, td = t.doubleRows, wd = weights.map(Double.init)
        let expected = reference(yd, anchors: 3, targets: td, sizes: sizes, tau: 0.3, weight: 1, sizeWeights: wd)
        #expect(agree(value, expected, relative: 1e-5))
        expectGradient(gradient, matches: { reference($0, anchors: 3, targets: td, sizes: sizes, tau: 0.3, weight: 1, sizeWeights: wd) },
                       at: yd, name: "∂/∂y weighted")
    }
}
