@testable import AdaptorTraining
import EmbeddingMath
import Testing

/// The two label-free decisions of the unsupervised default (issue 14), by hand.
@Suite struct CentringAndSizeWeightTests {
    func statistics(_ rows: [[Float]]) -> CovarianceAccumulator {
        CovarianceAccumulator(rows: Matrix(rows: rows.count, columns: rows[0].count, storage: rows.flatMap { $0 }))
    }

    /// e1, e1, e2: pair cosines 1, 0, 0, mean 1/3 (≥ 0.2: centre).
    @Test func meanCosineOfAnisotropicCorpusCentres() {
        let signal = CentringSignal(statistics: statistics([[1, 0, 0], [1, 0, 0], [0, 1, 0]]))
        #expect(abs(signal.meanCosine - 1.0 / 3) < 1e-12)
        #expect(signal.centre)
    }

    /// e1, e2, e3: every pair orthogonal, mean cosine 0 (keep the original geometry), although ‖μ‖² = 1/3.
    @Test func orthogonalCorpusIsNotCentred() {
        let signal = CentringSignal(statistics: statistics([[1, 0, 0], [0, 1, 0], [0, 0, 1]]))
        #expect(abs(signal.meanCosine) < 1e-12)
        #expect(!signal.centre)
    }

    /// The same rows as `aCentredReferenceRanksTheCentredVectors` (NeighbourRecallTests): μ = (0.6, 0.6), N = 4,
    /// c̄ = (16 · 0.72 − 4) / 12 = 0.626667, the mean of the six pairwise cosines (0.8 + 0.6 + 0 + 0.96 + 0.6 + 0.8) / 6.
    @Test func theSignalFromAStreamedMeanIsTheMeanPairwiseCosine() {
        let signal = CentringSignal(normalisedMean: [0.6, 0.6], count: 4)
        #expect(abs(signal.meanCosine - 3.76 / 6) < 1e-6)
        #expect(signal.centre)
        let fromStatistics = CentringSignal(statistics: statistics([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]]))
        #expect(abs(fromStatistics.meanCosine - signal.meanCosine) < 1e-6)
    }

    /// Rooms 0.587, 0.086 and the 0.01 floor (fidelity 1): weights 1, 0.587/0.086, 58.7.
    @Test func headroomWeightsByHand() {
        let weights = headroomWeights(initialFidelity: [0.413, 0.914, 1.0])
        #expect(weights.count == 3)
        #expect(abs(weights[0] - 1) < 1e-6)
        #expect(abs(weights[1] - Float(0.587 / 0.086)) < 1e-4)
        #expect(abs(weights[2] - 58.7) < 1e-3)
    }
}
