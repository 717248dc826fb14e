import AdaptorNN
import AdaptorTraining
import ArgumentParser
import EmbeddingIO
import EmbeddingMath
import Foundation
import RetrievalEvaluation
import VectorSearch

/// `matryoshka report`: several methods at every size on one data set, as one HTML page and JSON.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compare methods at every dimension: a self-contained HTML report (table, chart, costs) and JSON.",
        discussion: """
        Each method spec is KIND or KIND:MODEL, optionally prefixed by a label: truncate, pca, adaptor:MODEL, \
        search-adaptor:MODEL, smec:MODEL, or e.g. supervised=adaptor:sup.safetensors. Every method is scored like \
        `evaluate` (nDCG@10, Recall@100, MRR@10 with standard errors across queries); the report adds a chart \
        of nDCG@10 against dimension (inline SVG), bytes per vector and measured exact-search queries per \
        second at each size, and the settings and SHA-256 fingerprints behind it. The page has no script and \
        fetches nothing. The table and each method's smallest lossless m are also printed.

        Example:
          matryoshka report --data data/scifact --out report.html \\
              --methods truncate,pca,unsupervised=adaptor:u.safetensors
        """
    )

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("Comma-separated method specs (see above).", valueName: "SPEC,SPEC,..."))
    var methods: String = "truncate,pca"

    @Option(help: ArgumentHelp("Comma-separated sizes m (default: powers of two from 16 below d, then d).", valueName: "m,m,..."))
    var dims: String?

    @Option(help: "Which qrels/<split>.tsv to score against.")
    var split: String = "test"

    @Option(help: ArgumentHelp("Where to write the HTML report (written atomically).", valueName: "FILE.html"))
    var out: String

    @Option(help: ArgumentHelp("Where to write the JSON (default: the HTML path with .json).", valueName: "FILE.json"))
    var json: String?

    @Option(help: ArgumentHelp("Corpus documents sampled as queries for the label-free neighbour-recall@10 table (0: none).",
                               valueName: "N"))
    var neighbourSample: Int = NeighbourRecallEvaluator().sampleSize

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    var quiet = false

    /// A parsed method spec.
    struct Spec {
        var label: String
        var method: EvaluationMethod
        var model: String?
    }

    func specs() throws -> [Spec] {
        try methods.split(separator: ",").map { raw in
            var text = String(raw).trimmingCharacters(in: .whitespaces)
            var label: String?
            if let equals = text.firstIndex(of: "=") {
                label = String(text[..<equals])
                text = String(text[text.index(after: equals)...])
            }
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let kind = parts.first, let method = EvaluationMethod(rawValue: kind) else {
                throw ValidationError("--methods: '\(raw)' is not truncate, pca, adaptor:MODEL, search-adaptor:MODEL or smec:MODEL")
            }
            let model = parts.count > 1 ? parts[1] : nil
            guard method.needsModel == (model != nil) else {
                throw ValidationError("--methods: '\(raw)': \(kind) " + (method.needsModel ? "needs :MODEL" : "takes no model"))
            }
            let fallback = model.map { ($0 as NSString).lastPathComponent.replacingOccurrences(of: ".safetensors", with: "") }
                ?? (method == .truncate ? "truncation" : "PCA")
            return Spec(label: label ?? fallback, method: method, model: model)
        }
    }

    func validate() throws {
        guard try !specs().isEmpty else { throw ValidationError("--methods names no method") }
        if let dims { _ = try parseDimensions(dims) }
    }

    func run() throws {
        try threadOptions.run(write)
    }

    func write() throws {
        let display = ProgressDisplay(quiet: quiet)
        let report = try build(display: display)
        display.finish()
        try writeTextFileAtomically(report.html(), to: out)
        let jsonPath = json ?? (out.hasSuffix(".html") ? String(out.dropLast(5)) : out) + ".json"
        try writeTextFileAtomically(try report.jsonString() + "\n", to: jsonPath)
        print(report.textTable())
        display.message("wrote \(out) and \(jsonPath)")
    }

    /// Evaluates every method and measures search cost.
    func build(display: ProgressDisplay) throws -> ComparisonReport {
        let dataset = try dataOptions.load()
        let queries = try dataset.requireQueries()
        let qrels = try dataset.qrels(split: split)
        let resolved = ResolvedJudgements(qrels: qrels, queryIds: queries.ids, corpusIds: dataset.corpus.ids)
        if let warning = resolved.warning(qrelsPath: qrels.path) { display.message(warning) }
        guard !resolved.queries.isEmpty else {
            throw ValidationError("\(qrels.path): no judged query is in \(queries.idsPath); nothing to report")
        }
        let d = dataset.corpus.dimension
        let dimensions = try dims.map { try parseDimensions($0) } ?? RetrievalEvaluator.defaultDimensions(for: d)
        if let bad = dimensions.first(where: { $0 > d }) { throw ValidationError("--dims: \(bad) exceeds d = \(d)") }
        let evaluator = RetrievalEvaluator(judgements: resolved.queries)
        let parsed = try specs()
        var results: [ComparisonReport.Method] = []
        for (i, spec) in parsed.enumerated() {
            let transform = try spec.method.transform(corpus: dataset.corpus, modelPath: spec.model)
            let start = ContinuousClock.now
            let judged = evaluator.evaluate(queries: transform.apply(queries.vectors),
                                            corpus: transform.apply(dataset.corpus.vectors), dimensions: dimensions) { done, total in
                display.update(rateLine("\(spec.label) (\(i + 1)/\(parsed.count)): evaluated", done: done, total: total,
                                        unit: "sizes", since: start))
            }
            var rows = judged.map { ComparisonReport.Row($0) }
            if neighbourSample > 0 {
                var labelFree = NeighbourRecallEvaluator()
                labelFree.sampleSize = neighbourSample
                let recall = try labelFree.evaluate(corpus: dataset.corpus, transform: transform, dimensions: dimensions)
                for (r, result) in recall.enumerated() {
                    rows[r].neighbourRecall = result.mean
                    rows[r].neighbourRecallStandardError = result.standardError
                }
            }
            var settings: [String: String] = [:]
            if let model = transform as? AdaptorModel {
                settings = ["method": model.method, "training": model.training, "data_fingerprint": model.dataFingerprint,
                            "matryoshka_sizes": model.sizes.sizes.map(String.init).joined(separator: ",")]
            }
            results.append(ComparisonReport.Method(name: spec.label, kind: spec.method.rawValue, modelPath: spec.model,
                                                   settings: settings, rows: rows))
        }
        let reference = evaluator.evaluate(queries: queries.vectors, corpus: dataset.corpus.vectors, dimensions: [d])[0].ndcg
        display.update("measuring search cost", force: true)
        let judgedQueries = queries.vectors.gatherRows(resolved.queries.map(\.queryIndex))
        let costs = dimensions.map { m in
            ComparisonReport.Cost(dimension: m, bytesPerVector: 4 * m,
                                  queriesPerSecond: measureQueriesPerSecond(corpus: dataset.corpus.vectors,
                                                                            queries: judgedQueries, dimension: m))
        }
        var qrelsHash = SHA256()
        qrelsHash.update(Array(qrels.canonicalText.utf8))
        return ComparisonReport(
            data: dataset.name, directory: dataset.directory, split: split, judgedQueries: resolved.queries.count,
            documents: dataset.corpus.count, dimension: d,
            fingerprints: ["corpus vectors": EmbeddingSet.fingerprint(dataset.corpus.vectors),
                           "query vectors": EmbeddingSet.fingerprint(queries.vectors),
                           "\(split) judgements": qrelsHash.hexDigest()],
            libraryVersion: matryoshkaLibraryVersion, referenceNDCG: reference, methods: results, costs: costs)
    }
}

/// Exact top-10 search of `queries` over `corpus` at prefix `m`, repeated for at least 0.2 s: queries per second.
func measureQueriesPerSecond(corpus: Matrix, queries: Matrix, dimension m: Int) -> Double {
    let index = FlatIndex(vectors: corpus, prefix: m)
    let q = queries.normalizedPrefix(columns: m)
    let clock = ContinuousClock()
    var searched = 0
    let start = clock.now
    repeat {
        _ = index.search(q, k: 10)
        searched += q.rows
    } while clock.now - start < .milliseconds(200)
    let elapsed = clock.now - start
    return Double(searched) / (elapsed / .seconds(1))
}
