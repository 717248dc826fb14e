import AdaptorNN
@testable import AdaptorTraining
import EmbeddingMath
import Foundation
import Testing
import _TestSupport

/// The whole unsupervised objective `L_topk + α L_pair + β L_rec` of a real batch (anchors plus mined
/// neighbours), differentiated numerically in Double against an independent statement of the formulas,
/// at several size sets M and batch sizes, with both reductions.
@Suite struct UnsupervisedObjectiveGradientTests {
    static let cases: [(sizes: [Int], anchors: Int, reduction: Reduction)] = [
        ([2, 4, 8], 3, .sum), ([2, 4, 8], 3, .mean), ([8], 5, .sum), ([1, 3, 8], 4, .mean), ([4, 8], 6, .sum),
    ]

    @Test(arguments: cases)
    func objectiveGradientMatchesFiniteDifferences(sizes: [Int], anchors: Int, reduction: Reduction) {
        let d = 8, k = 2
        let corpus = Fixtures.randomMatrix(rows: 20, columns: d, seed: 61)
        let objective = UnsupervisedObjective(
            loss: SimilarityLoss(sizes: MatryoshkaSizes(sizes, dimension: d)), reduction: reduction, alpha: 0.7, beta: 1.3,
            normalisedCorpus: corpus.normalizedRows(), neighbours: mineNeighbours(corpus: corpus, k: k), k: k, used: k)
        var scratch = [Int32](repeating: -1, count: 20)
        let batch = objective.batch(anchors: Array(0 ..< anchors), scratch: &scratch)
        let n = batch.corpusRows.count
        let output = Fixtures.randomMatrix(rows: n, columns: d, seed: 62)
        let residual = Fixtures.randomMatrix(rows: n, columns: d, seed: 63)
        let forward = AdaptorForward(rotated: output, preActivations: [], activations: [], residual: residual, output: output)
        let (terms, outputGradient, residualGradient) = objective.evaluate(forward, batch)

        let x = corpus.normalizedRows()
        func cosine(_ a: [Double], _ b: [Double]) -> Double { DoubleReference.prefixCosine(a, b, d) }
        let originals = batch.corpusRows.map { x.row($0).map(Double.init) }
        func reference(_ y: [[Double]], _ r: [[Double]]) -> Double {
            let topkPairs = batch.neighbourPairs
            let topkTargets = topkPairs.map { cosine(originals[$0.0], originals[$0.1]) }
            let pairPairs = DoubleReference.orderedPairs(anchors)
            let pairTargets = pairPairs.map { cosine(originals[$0.0], originals[$0.1]) }
            let sum = reduction == .sum
            let topk = DoubleReference.similarityLoss(y, pairs: topkPairs, targets: topkTargets, sizes: sizes,
                                                      weight: sum ? 1 : 1 / Double(topkPairs.count))
            let pair = DoubleReference.similarityLoss(y, pairs: pairPairs, targets: pairTargets, sizes: sizes,
                                                      weight: sum ? 1 : 1 / Double(pairPairs.count))
            let rec = r.flatMap { $0 }.reduce(0) { $0 + abs($1) } / Double(sum ? d : n * d)
            return topk + 0.7 * pair + 1.3 * rec
        }
        let yd = output.doubleRows, rd = residual.doubleRows
        #expect(agree(terms.total, reference(yd, rd), relative: 1e-5))
        expectGradient(outputGradient, matches: { reference($0, rd) }, at: yd, name: "∂/∂ŷ")
        expectGradient(residualGradient, matches: { reference(yd, $0) }, at: rd, name: "∂/∂f")
    }
}

/// The `distill` objective's preservation term `λ L_keep` (L1 on the (anchor, neighbour) cosines at the preserved
/// sizes, a mean over the pairs): its value and its gradient, added to the distillation's, against finite
/// differences of an independent statement of the formula.
@Suite struct PreservationTermTests {
    @Test(arguments: [([4, 8], [8]), ([2, 4, 8], [4, 8])])
    func preservationGradientMatchesFiniteDifferences(sizes: [Int], preserved: [Int]) {
        let d = 8, k = 3, lambda: Float = 2.5
        let corpus = Fixtures.randomMatrix(rows: 24, columns: d, seed: 71)
        var objective = UnsupervisedObjective(
            loss: SimilarityLoss(sizes: MatryoshkaSizes(sizes, dimension: d)), reduction: .mean, alpha: 1, beta: 0.5,
            normalisedCorpus: corpus.normalizedRows(), neighbours: mineNeighbours(corpus: corpus, k: k), k: k, used: k,
            distillation: DistillationLoss(sizes: MatryoshkaSizes(sizes, dimension: d), temperature: 0.2))
        var scratch = [Int32](repeating: -1, count: 24)
        let batch = objective.batch(anchors: Array(0 ..< 5), scratch: &scratch)
        let n = batch.corpusRows.count
        let output = Fixtures.randomMatrix(rows: n, columns: d, seed: 72)
        let residual = Fixtures.randomMatrix(rows: n, columns: d, seed: 73)
        let forward = AdaptorForward(rotated: output, preActivations: [], activations: [], residual: residual, output: output)
        let (without, gradientWithout, _) = objective.evaluate(forward, batch)
        objective.preservation = Preservation(loss: SimilarityLoss(sizes: MatryoshkaSizes(preserved, dimension: d)),
                                              weight: lambda)
        let (with, gradientWith, _) = objective.evaluate(forward, batch)

        let x = corpus.normalizedRows()
        let originals = batch.corpusRows.map { x.row($0).map(Double.init) }
        let targets = batch.neighbourPairs.map { DoubleReference.prefixCosine(originals[$0.0], originals[$0.1], d) }
        func reference(_ y: [[Double]]) -> Double {
            DoubleReference.similarityLoss(y, pairs: batch.neighbourPairs, targets: targets, sizes: preserved,
                                           weight: Double(lambda) / Double(batch.neighbourPairs.count))
        }
        let yd = output.doubleRows
        let keep = with.terms.first { $0.name == "keep" }?.value ?? .nan
        #expect(agree(keep * Double(lambda), reference(yd), relative: 1e-5), "the term is reported without λ")
        #expect(agree(with.total - without.total, reference(yd), relative: 1e-4))
        var difference = gradientWith
        difference.addRows(gradientWithout, at: 0, scale: -1)
        expectGradient(difference, matches: reference, at: yd, name: "∂(λ L_keep)/∂ŷ")
    }

    /// Sizes within the floor of fidelity 1 are preserved, and the largest size always.
    @Test func preservedSizesByHand() {
        let sizes = [16, 32, 64, 128, 256, 384]
        #expect(preservedSizes(sizes, initialFidelity: [0.54, 0.72, 0.85, 0.93, 0.991, 1.0], floor: 0.01) == [256, 384])
        #expect(preservedSizes(sizes, initialFidelity: [0.54, 0.72, 0.85, 0.93, 0.95, 0.98], floor: 0.01) == [384])
        #expect(preservedSizes(sizes, initialFidelity: [0.54, 0.72, 0.85, 0.93, 0.95, 0.98], floor: 0.1) == [128, 256, 384])
    }

    /// One JSON object per validation, sizes as keys, the mean beside them.
    @Test func fidelityTraceLines() throws {
        let trace = FidelityTrace(sizes: [4, 8], points: [.init(iteration: 0, fidelity: [0.5, 1]),
                                                         .init(iteration: 50, fidelity: [0.75, 0.5])])
        let lines = trace.jsonLines.split(separator: "\n")
        #expect(lines.count == 2)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(second["iteration"] as? Int == 50)
        #expect((second["fidelity"] as? [String: Double]) == ["4": 0.75, "8": 0.5])
        #expect(abs((second["mean"] as? Double ?? 0) - 0.625) < 1e-12)
    }
}
