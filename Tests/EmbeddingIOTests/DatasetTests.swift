import EmbeddingIO
import EmbeddingMath
import Testing
import _TestSupport

@Suite struct DatasetTests {
    let dir = TemporaryDirectory()
    let corpus = Matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]])
    let queries = Matrix([[1, 0.1, 0], [0, 0, 2]])

    @Test func loadsWithoutQrelsAndComplainsOnlyWhenAsked() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: queries)
        let dataset = try Dataset.load(directory: folder)
        #expect(dataset.corpus.count == 4 && dataset.queries?.count == 2 && dataset.name == "tiny")
        #expect(dataset.corpus.ids == ["d0", "d1", "d2", "d3"])
        #expect(dataset.availableSplits.isEmpty)
        #expect(throws: EmbeddingIOError.missingFile(path: "\(folder)/qrels/test.tsv",
                                                     what: "judgements for split 'test'; this data set has none")) {
            try dataset.qrels(split: "test")
        }
    }

    @Test func loadsQrelsSplitsAndListsThem() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: queries,
                                               qrels: ["train": [("q0", "d0", 1)], "test": [("q1", "d2", 2)]])
        let dataset = try Dataset.load(directory: folder)
        #expect(dataset.availableSplits == ["test", "train"])
        #expect(try dataset.qrels(split: "test").judgements == ["q1": ["d2": 2]])
        #expect(throws: EmbeddingIOError.missingFile(path: "\(folder)/qrels/dev.tsv",
                                                     what: "judgements for split 'dev'; available: test, train")) {
            try dataset.qrels(split: "dev")
        }
    }

    @Test func corpusOnlyFolderLoads() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: nil)
        let dataset = try Dataset.load(directory: folder)
        #expect(dataset.queries == nil)
        #expect(throws: EmbeddingIOError.self) { try dataset.requireQueries() }
    }

    @Test func secondModelFallsBackToParentQrels() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: queries, qrels: ["test": [("q0", "d0", 1)]])
        try Fixtures.writeDataset(in: dir, name: "tiny/models/wide", corpus: Matrix(rows: 4, columns: 5, repeating: 1),
                                  queries: Matrix(rows: 2, columns: 5, repeating: 1))
        let dataset = try Dataset.load(directory: folder, model: "wide")
        #expect(dataset.corpus.dimension == 5 && dataset.name == "tiny/wide")
        #expect(try dataset.qrels(split: "test").path == "\(folder)/qrels/test.tsv")
        #expect(throws: EmbeddingIOError.missingFile(path: "\(folder)/models/narrow", what: "model folder; available: wide")) {
            try Dataset.load(directory: folder, model: "narrow")
        }
    }

    @Test func idsFromJSONLinesWhenNoIdList() throws {
        try writeNpy(corpus, to: dir.file("j/corpus.f32.npy"))
        dir.write((0 ..< 4).map { "{\"_id\": \"doc\($0)\", \"text\": \"t\"}\n" }.joined(), to: "j/corpus.jsonl")
        #expect(try Dataset.load(directory: "\(dir.path)/j").corpus.ids == ["doc0", "doc1", "doc2", "doc3"])
    }

    @Test func rowCountMismatchNamesBothFiles() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: nil)
        dir.write("d0\nd1\nd2\n", to: "tiny/corpus_ids.txt")
        #expect(throws: EmbeddingIOError.rowCountMismatch(vectorsPath: "\(folder)/corpus.f32.npy", rows: 4,
                                                          idsPath: "\(folder)/corpus_ids.txt", ids: 3)) {
            try Dataset.load(directory: folder)
        }
    }

    @Test func duplicateIdsAreRejected() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: nil)
        dir.write("d0\nd1\nd2\nd1\n", to: "tiny/corpus_ids.txt")
        #expect(throws: EmbeddingIOError.duplicateId(path: "\(folder)/corpus_ids.txt", id: "d1", firstLine: 2, line: 4)) {
            try Dataset.load(directory: folder)
        }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteValuesNameTheRow(value: Float) throws {
        var bad = corpus
        bad[2, 1] = value
        let folder = try Fixtures.writeDataset(in: dir, corpus: bad, queries: nil)
        do {
            _ = try Dataset.load(directory: folder)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("\(folder)/corpus.f32.npy, row 2: value \(value) at column 1 is not finite"))
        }
    }

    @Test func zeroVectorIsRejected() throws {
        var bad = queries
        bad[1, 2] = 0
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: bad)
        #expect(throws: EmbeddingIOError.zeroVector(path: "\(folder)/queries.f32.npy", row: 1)) {
            try Dataset.load(directory: folder)
        }
    }

    @Test func queryAndCorpusDimensionsMustMatch() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: corpus, queries: Matrix([[1, 2]]))
        #expect(throws: EmbeddingIOError.dimensionMismatch(path: "\(folder)/queries.f32.npy", dimension: 2,
                                                           expectedPath: "\(folder)/corpus.f32.npy", expected: 3)) {
            try Dataset.load(directory: folder)
        }
    }

    @Test func emptyVectorFileIsRejected() throws {
        let folder = try Fixtures.writeDataset(in: dir, corpus: Matrix(rows: 0, columns: 3), queries: nil)
        dir.write("d0\n", to: "tiny/corpus_ids.txt")
        #expect(throws: EmbeddingIOError.emptyFile(path: "\(folder)/corpus.f32.npy", expected: "at least one vector")) {
            try Dataset.load(directory: folder)
        }
    }

    @Test func missingFolderAndFiles() throws {
        #expect(throws: EmbeddingIOError.missingFile(path: "\(dir.path)/nowhere", what: "data set folder")) {
            try Dataset.load(directory: "\(dir.path)/nowhere")
        }
        dir.write("x", to: "only-ids/corpus_ids.txt")
        #expect(throws: EmbeddingIOError.missingFile(path: "\(dir.path)/only-ids/corpus.f32.npy",
                                                     what: "corpus vectors (corpus.f32.npy or corpus.npy)")) {
            try Dataset.load(directory: "\(dir.path)/only-ids")
        }
    }
}
