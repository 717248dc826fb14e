import AdaptorNN
@testable import AdaptorTraining
import EmbeddingMath
import RetrievalEvaluation
import Testing
import _TestSupport

@Suite struct SupervisedTrainerTests {
    /// 80 documents in 4 topics; 24 queries, each near one topic's centre, judged relevant to 3 of its documents.
    func problem() -> (corpus: Matrix, queries: Matrix, judgements: [JudgedQuery]) {
        var corpus = Fixtures.randomMatrix(rows: 80, columns: 12, seed: 1)
        for i in 0 ..< 80 { corpus[i, i % 4] += 2 }
        var queries = Fixtures.randomMatrix(rows: 24, columns: 12, seed: 2)
        for q in 0 ..< 24 { queries[q, q % 4] += 2 }
        let judgements = (0 ..< 24).map { q in
            JudgedQuery(queryIndex: q, grades: [q % 4: 1, q % 4 + 4: 2, q % 4 + 8: 1, q % 4 + 1: 0])
        }
        return (corpus, queries, judgements)
    }

    func settings() -> SupervisedConfiguration {
        var c = SupervisedConfiguration()
        c.stage1.neighbours = 3
        c.stage1.batchSize = 8
        c.stage1.iterations = 10
        c.stage1.validationInterval = 5
        c.stage1.sizes = [4, 12]
        c.queryBatchSize = 8
        c.documentAnchors = 8
        c.randomNegatives = 8
        c.hardNegatives = 2
        c.iterations = 40
        c.validationInterval = 10
        c.patience = 100
        c.learningRate = 1e-2
        return c
    }

    @Test func twoStagesImproveHeldOutRetrievalAndRecordTheSplit() throws {
        let (corpus, queries, judgements) = problem()
        let result = try SupervisedTrainer(configuration: settings(), adaptorConfiguration: AdaptorConfiguration(inputDimension: 12, hiddenDimension: 8))
            .train(corpus: corpus, queries: queries, judgements: judgements)
        #expect(result.stages.count == 2)
        #expect(result.stages[1].bestIteration > 0, "stage 2 improved held-out nDCG@10 over stage 1's weights")
        #expect(result.trainingDescription.contains(#""train_split":"train""#))
    }

    @Test func initialModelSkipsStageOne() throws {
        let (corpus, queries, judgements) = problem()
        let start = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 12, hiddenDimension: 8), corpus: corpus, seed: 5)
        let result = try SupervisedTrainer(configuration: settings(), adaptorConfiguration: AdaptorConfiguration(inputDimension: 12))
            .train(corpus: corpus, queries: queries, judgements: judgements, initial: start)
        #expect(result.stages.count == 1 && result.adaptor.configuration.hiddenDimension == 8)
    }

    @Test func searchAdaptorTrainsAtFullDimensionOnly() throws {
        let (corpus, queries, judgements) = problem()
        var reports: [TrainingProgress] = []
        let result = try SearchAdaptorTrainer(configuration: settings(), adaptorConfiguration: AdaptorConfiguration(inputDimension: 12, hiddenDimension: 8))
            .train(corpus: corpus, queries: queries, judgements: judgements, progress: { reports.append($0) })
        #expect(result.sizes.sizes == [12])
        #expect(reports.last!.losses.map(\.name) == ["rec", "rank", "pred", "total"])
        #expect(result.stages[0].bestIteration > 0)
    }

    @Test func tooFewQueries() {
        let (corpus, queries, judgements) = problem()
        #expect(throws: TrainingError.tooFewQueries(count: 1, needed: 2)) {
            try SupervisedTrainer(configuration: settings(), adaptorConfiguration: AdaptorConfiguration(inputDimension: 12))
                .train(corpus: corpus, queries: queries, judgements: Array(judgements.prefix(1)))
        }
    }
}
