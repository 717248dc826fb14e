@testable import AdaptorCommands
import Matryoshka
import ArgumentParser
import Foundation
import Testing
import _TestSupport

@Suite struct SMECCommandTests {
    let dir = TemporaryDirectory()

    func dataset() throws -> String {
        var corpus = Fixtures.randomMatrix(rows: 60, columns: 16, seed: 1)
        for i in 0 ..< 60 { corpus[i, 15 - i % 4] += 2 }
        var queries = Fixtures.randomMatrix(rows: 12, columns: 16, seed: 2)
        for q in 0 ..< 12 { queries[q, 15 - q % 4] += 2 }
        return try Fixtures.writeDataset(in: dir, corpus: corpus, queries: queries, qrels: [
            "train": (0 ..< 9).map { ("q\($0)", "d\($0 % 4 + 4)", 1) },
            "test": (9 ..< 12).map { ("q\($0)", "d\($0 % 4)", 1) },
        ])
    }

    /// A model whose stored order is a fixed, far-from-identity permutation.
    func orderedModel(_ folder: String) throws -> (path: String, model: AdaptorModel) {
        let corpus = try readNpy("\(folder)/corpus.f32.npy")
        var adaptor = try MatryoshkaAdaptor(configuration: AdaptorConfiguration(inputDimension: 16, hiddenDimension: 8),
                                            corpus: corpus, seed: 3)
        var g = SeededGenerator(seed: 4)
        adaptor.parameters.output = Linear(inputs: 8, outputs: 16, generator: &g)
        let order = [11, 3, 15, 0, 7, 12, 1, 9, 14, 5, 2, 10, 6, 13, 4, 8]
        let model = AdaptorModel(adaptor: adaptor, sizes: MatryoshkaSizes([4, 8, 16], dimension: 16), method: "smec",
                                 training: "{}", dataFingerprint: "", permutation: order)
        let path = dir.file("ordered.safetensors")
        try model.save(to: path)
        return (path, model)
    }

    @Test func storedOrderIsAppliedIdenticallyByApplyEvaluateAndSearch() throws {
        let folder = try dataset()
        let (path, model) = try orderedModel(folder)
        let corpus = try readNpy("\(folder)/corpus.f32.npy"), queries = try readNpy("\(folder)/queries.f32.npy")
        let m = 4
        // The reference: adapt, take the coordinates in the stored order by hand, keep the first m.
        let order = try #require(model.permutation)
        let manualCorpus = model.adaptor.apply(corpus).columns(order)
        let manualQueries = model.adaptor.apply(queries).columns(order)

        let applied = dir.file("applied.npy")
        try ApplyCommand.parse(["--adaptor", path, "--input", "\(folder)/corpus.f32.npy", "--output", applied,
                                "--dimension", "\(m)", "--quiet"]).run()
        // apply --dimension computes only the kept coordinates (PrefixInference): equal up to float rounding.
        #expect(maxAbsoluteDifference(try readNpy(applied), manualCorpus.normalizedPrefix(columns: m)) < 1e-5)

        let json = try EvaluateCommand.parse(["--data", folder, "--method", "smec", "--adaptor", path, "--dims", "\(m)",
                                              "--json", "--quiet"]).output()
        let row = ((try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any])["results"] as! [[String: Any]])[0]
        let judged = (9 ..< 12).map { JudgedQuery(queryIndex: $0, grades: [$0 % 4: 1]) }
        let expected = RetrievalEvaluator(judgements: judged).evaluate(queries: manualQueries, corpus: manualCorpus, dimensions: [m])[0]
        #expect(abs(row["ndcg@10"] as! Double - expected.ndcg) < 1e-12)

        let run = try SearchCommand.parse(["--data", folder, "--adaptor", path, "--dimension", "\(m)", "--k", "5", "--quiet"]).runText()
        let results = FlatIndex(vectors: manualCorpus, prefix: m).search(manualQueries.prefix(columns: m), k: 5)
        let expectedLines = (0 ..< queries.rows).flatMap { q in
            results.neighbours(of: q).enumerated().map { rank, document in "q\(q) Q0 d\(document) \(rank + 1)" }
        }
        #expect(run.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") } == expectedLines)
        // And the order matters: without it the first m coordinates would be others.
        #expect(model.adaptor.apply(corpus).normalizedPrefix(columns: m) != manualCorpus.normalizedPrefix(columns: m))
    }

    @Test(arguments: [[String](), ["--no-ads"], ["--no-xbm"], ["--joint"], ["--supervised"]])
    func smecTrainsAndStoresItsOrder(flags: [String]) throws {
        let folder = try dataset()
        let path = dir.file("smec.safetensors")
        try FitCommand.parse(["--data", folder, "--method", "smec", "--out", path, "--k", "3", "--batch-size", "8",
                              "--iterations", "20", "--validation-interval", "5", "--hidden", "8", "--sizes", "4,16",
                              "--memory-size", "16", "--memory-neighbours", "2", "--query-batch-size", "4",
                              "--random-negatives", "4", "--quiet"] + flags).run()
        let model = try AdaptorModel.load(path)
        #expect(model.method == "smec")
        if flags == ["--no-ads"] {
            #expect(model.permutation == nil, "without ADS sizes keep the first coordinates")
        } else if let order = model.permutation {
            #expect(order.sorted() == Array(0 ..< 16))
        }
        #expect(model.training.contains(flags == ["--joint"] ? #""sequential":false"# : #""sequential":true"#))
    }
}
