import AdaptorNN
@testable import AdaptorTraining
import EmbeddingMath
import Testing
import _TestSupport

/// Early stopping on a scripted validation signal that dips below its start and climbs back past it, as the
/// unsupervised default's held-out fidelity does.
@Suite struct TrainingLoopTests {
    /// Start 0.80, then 0.70, 0.72, … rising by 0.02 per validation: the trained weights pass the start at the
    /// seventh validation (0.82), and nothing improves after the ninth.
    static let signal = [0.80, 0.70, 0.72, 0.74, 0.76, 0.78, 0.80, 0.82, 0.83, 0.84, 0.84, 0.84, 0.84, 0.84]

    func run(patienceFromTrainedWeights: Bool) throws -> StageOutcome {
        var adaptor = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 4, hiddenDimension: 2,
                                                                                rotation: .identity),
                                            corpus: Fixtures.randomMatrix(rows: 8, columns: 4, seed: 3), seed: 1)
        var validations = 0
        let loop = TrainingLoop(stage: "test", iterations: 13, patience: 3, validationInterval: 1, learningRate: 1e-3,
                                higherIsBetter: true, patienceFromTrainedWeights: patienceFromTrainedWeights)
        let zero = AdaptorParameters(zerosLike: adaptor.parameters)
        return loop.run(adaptor: &adaptor, step: { _ in (LossTerms(terms: [], total: 0), zero) },
                        validate: { _, _ in
                            defer { validations += 1 }
                            return Self.signal[validations]
                        }, progress: nil)
    }

    /// Counting from the best overall (the start), patience 3 runs out at iteration 3 and keeps the start.
    @Test func patienceFromTheStartStopsDuringTheDip() throws {
        let outcome = try run(patienceFromTrainedWeights: false)
        #expect(outcome.iterationsRun == 3 && outcome.bestIteration == 0 && outcome.stoppedEarly)
        #expect(outcome.bestValidation == 0.80)
    }

    /// Counting from the best trained weights, the climb goes on: the kept weights are iteration 9 (0.84, the
    /// first of the plateau), and patience runs out three iterations later.
    @Test func patienceFromTrainedWeightsFollowsTheClimb() throws {
        let outcome = try run(patienceFromTrainedWeights: true)
        #expect(outcome.bestIteration == 9 && outcome.bestValidation == 0.84)
        #expect(outcome.iterationsRun == 12 && outcome.stoppedEarly)
    }
}
