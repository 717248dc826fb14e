import EmbeddingMath
import Testing
import VectorSearch
import _TestSupport

@Suite struct TwoTierIndexTests {
    let corpus = Fixtures.randomMatrix(rows: 500, columns: 24, seed: 11)
    let queries = Fixtures.randomMatrix(rows: 40, columns: 24, seed: 12)

    @Test func aShortlistOfTheWholeCorpusIsExactSearch() {
        let funnel = TwoTierIndex(vectors: corpus, shortlistDimension: 6, shortlistSize: 500)
        let exact = FlatIndex(vectors: corpus).search(queries, k: 10)
        let found = funnel.search(queries, k: 10)
        #expect(found.indices == exact.indices)
        #expect(zip(found.scores, exact.scores).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func theResultIsTheShortlistReRankedAtFullSize() {
        let funnel = TwoTierIndex(vectors: corpus, shortlistDimension: 4, shortlistSize: 20)
        let found = funnel.search(queries, k: 5)
        let shortlist = FlatIndex(vectors: corpus, prefix: 4).search(queries.normalizedPrefix(columns: 4), k: 20)
        let unitCorpus = corpus.normalizedRows(), unitQueries = queries.normalizedRows()
        for q in 0 ..< queries.rows {
            // By hand: full cosines of the 20 shortlisted documents, best 5 (ties by corpus order).
            let candidates = shortlist.neighbours(of: q)
            let scored = candidates.map { d in (d, zip(unitQueries.row(q), unitCorpus.row(d)).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            let fifth = scored.map(\.1).sorted(by: >)[4]
            let score = Dictionary(uniqueKeysWithValues: scored)
            let got = found.neighbours(of: q)
            #expect(got.count == 5 && Set(got).count == 5 && got.allSatisfy { candidates.contains($0) }, "query \(q)")
            #expect(got.allSatisfy { score[$0]! >= fifth - 1e-5 }, "query \(q): the best five of the shortlist")
            #expect(zip(got, got.dropFirst()).allSatisfy { score[$0]! >= score[$1]! - 1e-5 }, "query \(q): best first")
        }
    }

    @Test func theResultDoesNotDependOnTheThreadCount() {
        let funnel = TwoTierIndex(vectors: corpus, shortlistDimension: 8, shortlistSize: 30)
        let many = Fixtures.randomMatrix(rows: 300, columns: 24, seed: 13)
        let results = [1, 2, 3].map { threads in Parallelism.$threads.withValue(threads) { funnel.search(many, k: 10) } }
        #expect(results[0] == results[1] && results[1] == results[2])
    }
}

@Suite struct LongTopKListTests {
    /// Lists longer than 32 insert by binary search and one move; the result must be the sort of everything offered
    /// (score descending, index ascending among equal scores), here with many ties.
    @Test func aLongListIsTheSortedBestOfWhatWasOffered() {
        var generator = SeededGenerator(seed: 21)
        let scores = (0 ..< 5000).map { _ in Float(Int(generator.next() % 300)) / 7 }
        for k in [33, 100, 250] {
            var top = TopKAccumulator(queryCount: 1, k: k)
            scores.withUnsafeBufferPointer { p in
                for first in stride(from: 0, to: scores.count, by: 777) {
                    top.offer(query: 0, scores: p.baseAddress! + first, count: min(777, scores.count - first), firstIndex: first)
                }
            }
            let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k)
            #expect(top.results().neighbours(of: 0) == Array(expected), "k = \(k)")
        }
    }
}
