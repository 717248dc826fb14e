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

    func run(_ signal: [Double] = Self.signal, patience: Int = 3, patienceFromTrainedWeights: Bool,
             patienceWhileFalling: Int? = nil) throws -> StageOutcome {
        var adaptor = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 4, hiddenDimension: 2,
                                                                                rotation: .identity),
                                            corpus: Fixtures.randomMatrix(rows: 8, columns: 4, seed: 3), seed: 1)
        var validations = 0
        let loop = TrainingLoop(stage: "test", iterations: signal.count - 1, patience: patience, validationInterval: 1,
                                learningRate: 1e-3, higherIsBetter: true,
                                patienceFromTrainedWeights: patienceFromTrainedWeights,
                                patienceWhileFalling: patienceWhileFalling)
        let zero = AdaptorParameters(zerosLike: adaptor.parameters)
        return try loop.run(adaptor: &adaptor, step: { _ in (LossTerms(terms: [], total: 0), zero) },
                        validate: { _, _ in
                            defer { validations += 1 }
                            return signal[validations]
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

    /// The dip above ends at its first validation and climbs, so a short patience while falling changes nothing.
    @Test func patienceWhileFallingLeavesADipThatClimbsAlone() throws {
        let outcome = try run(patienceFromTrainedWeights: true, patienceWhileFalling: 2)
        #expect(outcome.bestIteration == 9 && outcome.iterationsRun == 12)
    }

    /// A signal that only falls: the best trained weights are the first (0.78); at iteration 4 the signal is the
    /// lowest yet, three iterations after them, so patience 3 while falling stops there (the long patience of 10
    /// would run to iteration 11). A step up (iteration 3) is not a new low and does not stop it; the start is kept.
    @Test func patienceWhileFallingStopsASignalThatOnlyFalls() throws {
        let falling = [0.80, 0.78, 0.76, 0.77, 0.75, 0.74, 0.73, 0.72, 0.71, 0.70, 0.69, 0.68, 0.67, 0.66]
        let short = try run(falling, patience: 10, patienceFromTrainedWeights: true, patienceWhileFalling: 3)
        #expect(short.iterationsRun == 4 && short.bestIteration == 0 && short.stoppedEarly)
        let long = try run(falling, patience: 10, patienceFromTrainedWeights: true)
        #expect(long.iterationsRun == 11 && long.bestIteration == 0)
    }
}
