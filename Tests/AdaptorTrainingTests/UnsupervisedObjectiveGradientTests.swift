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
