@testable import AdaptorTraining
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct CorpusSampleTests {
    /// 600 rows in 16-d around a few directions, with a decaying spectrum, so that neighbours are well defined.
    let corpus: Matrix = {
        var generator = SeededGenerator(seed: 9)
        var x = Matrix.gaussian(rows: 600, columns: 16, generator: &generator)
        for i in 0 ..< x.rows {
            for j in 0 ..< 16 { x[i, j] *= 1 / Float(1 + j) }
            x[i, i % 5] += 1.5
        }
        return x
    }()

    func mine(_ queries: [Int], projection: Matrix? = nil, shortlist: Int = 100, blockRows: Int = 128) -> NeighbourMiner {
        let unit = corpus.normalizedRows()
        var miner = NeighbourMiner(queries: unit.gatherRows(queries), corpusRows: queries, k: 5, projection: projection,
                                   shortlist: shortlist)
        for first in stride(from: 0, to: unit.rows, by: blockRows) {
            miner.add(normalizedDocuments: unit.block(first ..< min(first + blockRows, unit.rows)), firstIndex: first)
        }
        return miner
    }

    /// The principal axes of the corpus, as `m × d` rows.
    func axes(_ m: Int) throws -> Matrix {
        let axes = try CovarianceAccumulator(rows: corpus.normalizedRows()).principalAxes()
        return Matrix(rows: m, columns: 16, storage: axes.vectors[0 ..< m * 16].map(Float.init))
    }

    @Test func exactMiningStreamedInBlocksMatchesTheWholeCorpusSearch() {
        let all = Array(0 ..< corpus.rows)
        let streamed = mine(all).neighbours()
        let whole = mineNeighbours(corpus: corpus.normalizedRows(), k: 5)
        #expect(streamed == all.map { q in (0 ..< 5).map { Int(whole[q * 5 + $0]) } })
        #expect(streamed.allSatisfy { $0.count == 5 } && zip(all, streamed).allSatisfy { !$1.contains($0) })
        #expect(mine(all).recall() == nil)
    }

    @Test func aShortlistOnEveryAxisIsExact() throws {
        let queries = Array(stride(from: 3, to: 600, by: 7))
        let miner = mine(queries, projection: try axes(16), shortlist: 40)
        #expect(miner.neighbours() == mine(queries).neighbours())
        #expect(miner.recall() == 1)
    }

    @Test func aNarrowShortlistReportsItsTrueRecall() throws {
        let queries = Array(stride(from: 0, to: 600, by: 3))
        let miner = mine(queries, projection: try axes(2), shortlist: 6)
        let exact = mine(queries).neighbours()
        let found = miner.neighbours()
        // The recall is measured on the first 200 (checked) queries against exact mining.
        let shares = (0 ..< miner.checkedQueries).map { Double(Set(exact[$0]).intersection(found[$0]).count) / 5 }
        let recall = try #require(miner.recall())
        #expect(miner.checkedQueries == 200)
        #expect(abs(recall - shares.reduce(0, +) / Double(shares.count)) < 1e-12)
        #expect(recall < 1)
        // Every list is re-ranked exactly: its scores are the full cosines, best first.
        let unit = corpus.normalizedRows()
        for (q, list) in found.enumerated() {
            let query = unit.row(queries[q])
            let scores = list.map { zip(query, unit.row($0)).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 - 1e-5 })
        }
    }

    func configuration(anchors: Int?, miningDimension: Int? = nil) -> UnsupervisedConfiguration {
        var configuration = UnsupervisedConfiguration()
        configuration.neighbours = 5
        configuration.anchors = anchors
        configuration.miningDimension = miningDimension
        configuration.fidelityPoolSize = 50
        return configuration
    }

    @Test func theSampleHoldsTheAnchorsTheirNeighboursAndNothingElse() throws {
        let sample = try CorpusSample.build(source: corpus, configuration: configuration(anchors: 40))
        #expect(sample.anchorCount == 40 && sample.heldOutCount == 60 && sample.corpusCount == 600)
        #expect(sample.vectors == corpus.gatherRows(sample.corpusRows))
        #expect(Set(sample.corpusRows).count == sample.corpusRows.count)
        // Neighbour positions point into the sample, at the rows exact mining finds in the whole corpus.
        let queryRows = Array(sample.corpusRows.prefix(100))
        let exact = mine(queryRows).neighbours()
        for q in 0 ..< 100 {
            let rows = (0 ..< 5).map { sample.corpusRows[Int(sample.neighbours[q * 5 + $0])] }
            #expect(rows == exact[q])
        }
        #expect(sample.pool.allSatisfy { $0 >= 0 && $0 < sample.vectors.rows })
    }

    @Test(arguments: [CentringChoice.off, .on])
    func onALargeCorpusTheFidelityPoolHoldsEachQuerysNearestTrainingDocuments(centring: CentringChoice) throws {
        var settings = configuration(anchors: 40)
        settings.fidelityNeighbourhood = 8
        settings.fidelityScaleQueries = 20
        settings.centring = centring
        let sample = try CorpusSample.build(source: corpus, configuration: settings)
        #expect(sample.fidelityQueryCount == 20 && sample.fidelityQueries == Array(40 ..< 60))
        let heldOutRows = Set(sample.corpusRows[40 ..< 40 + sample.heldOutCount])
        let poolRows = Set(sample.pool.map { sample.corpusRows[$0] })
        #expect(poolRows.isDisjoint(with: heldOutRows))
        #expect(poolRows.count > 50 && poolRows.count <= 50 + 20 * 8)
        // The geometry training compares: unit rows, centred on their mean and re-normalised when centring.
        var unit = corpus.normalizedRows()
        if centring == .on {
            unit.subtractFromRows(unit.columnMeans())
            unit = unit.normalizedRows()
        }
        let trainingRows = (0 ..< corpus.rows).filter { !heldOutRows.contains($0) }
        for q in sample.fidelityQueries {
            let query = unit.row(sample.corpusRows[q])
            let score = { (row: Int) in zip(query, unit.row(row)).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
            let nearest = trainingRows.sorted { score($0) > score($1) }.prefix(8)
            #expect(Set(nearest).isSubset(of: poolRows), "query \(sample.corpusRows[q])")
        }
        // Off, or on a corpus whose training rows all fit: the random pool alone, every held-out row a query.
        settings.fidelityNeighbourhood = 0
        let random = try CorpusSample.build(source: corpus, configuration: settings)
        #expect(random.pool.count == 50 && random.fidelityQueryCount == random.heldOutCount)
        settings.fidelityNeighbourhood = 8
        settings.fidelityPoolSize = 1000
        let whole = try CorpusSample.build(source: corpus, configuration: settings)
        #expect(whole.pool.count == 540 && whole.fidelityQueryCount == whole.heldOutCount)
    }

    @Test func theSampleDoesNotDependOnTheThreadCount() throws {
        let samples = try [1, 2, 3].map { threads in
            try Parallelism.$threads.withValue(threads) {
                try CorpusSample.build(source: corpus, configuration: configuration(anchors: 100, miningDimension: 4))
            }
        }
        for sample in samples.dropFirst() {
            #expect(sample.vectors == samples[0].vectors && sample.neighbours == samples[0].neighbours)
            #expect(sample.corpusRows == samples[0].corpusRows && sample.fingerprint == samples[0].fingerprint)
            #expect(sample.mining == samples[0].mining && sample.pool == samples[0].pool)
        }
        #expect(samples[0].mining.shortlistDimension == 4 && samples[0].mining.recall != nil)
    }

    @Test func moreAnchorsThanTheCorpusHoldsIsAClearError() throws {
        let error = #expect(throws: TrainingError.self) {
            try CorpusSample.build(source: corpus, configuration: configuration(anchors: 700))
        }
        let text = "\(error!)"
        #expect(text.contains("700") && text.contains("600"))
    }
}
