import ArgumentParser
import Foundation
import Matryoshka

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
        second at each size, and the settings and SHA-256 fingerprints behind it. With --precision, every size is \
        also scored as codes, with a second chart of nDCG@10 against bytes per vector. The page has no script and \
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

    @Option(help: ArgumentHelp("Also score codes of every size: a comma-separated list of float32, float16, int8, int4, int2, binary, or all.",
                               discussion: """
                               Adds a chart of nDCG@10 against bytes per vector in memory (each method's frontier) and a \
                               table of every (method, m, precision) point with its bytes, marked dominated when a point \
                               of any method costs no more and scores at least as well; the JSON's methods gain "codes". \
                               Codes are calibrated as evaluate --precision calibrates them (a model's own calibration).
                               """, valueName: "LIST"))
    var precision: String?

    @Option(help: ArgumentHelp("With --precision: re-score each query's best K by the codes with the full float vectors.",
                               valueName: "K"))
    var rescore: Int?

    @Option(help: "With --precision: how queries meet binary codes: asymmetric (the float query's centred coordinates against ±1) or hamming (binary codes on both sides).")
    var scoring: CodeScoring = .asymmetric

    @OptionGroup var threadOptions: ThreadOptions

    @Flag(help: "No progress output.")
    var quiet = false

    func specs() throws -> [ComparedMethod] {
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
            return ComparedMethod(label: label ?? fallback, method: try method.embeddingMethod(model: model),
                                  kind: method.rawValue)
        }
    }

    /// Where the JSON goes: `--json`, or the HTML path with `.json`.
    var jsonPath: String { json ?? (out.hasSuffix(".html") ? String(out.dropLast(5)) : out) + ".json" }

    func validate() throws {
        guard try !specs().isEmpty else { throw ValidationError("--methods names no method") }
        if let dims { _ = try parseDimensions(dims) }
        if let precision { _ = try parsePrecisions(precision) }
        if precision == nil, rescore != nil || scoring != .asymmetric { throw ValidationError("--rescore and --scoring go with --precision") }
        if let rescore, rescore < 1 { throw ValidationError("--rescore must be positive, got \(rescore)") }
    }

    func run() throws {
        try threadOptions.run(write)
    }

    func write() throws {
        let display = ProgressDisplay(quiet: quiet)
        let models = try specs().compactMap(\.method.modelPath).map { ("--methods", Optional($0)) }
        try refuseOutputsOverwritingInputs(outputs: [("--out", out), ("--json", jsonPath)],
                                           inputs: try dataOptions.inputFiles() + models)
        let judged: JudgedEvaluation
        do {
            judged = try JudgedEvaluation(dataset: try dataOptions.load(), split: split)
        } catch let error as EvaluationError {
            throw ValidationError("\(error)")
        }
        if let warning = judged.warning { display.message(warning) }
        let report = try ComparisonReport.measure(judged, methods: try specs(), sizes: try dims.map { try parseDimensions($0) },
                                                  neighbourSample: neighbourSample,
                                                  precisions: try precision.map(parsePrecisions), scoring: scoring,
                                                  rescore: rescore, status: { display.update($0) })
        display.finish()
        try writeTextFileAtomically(report.html(), to: out)
        try writeTextFileAtomically(try report.jsonString() + "\n", to: jsonPath)
        print(report.textTable())
        display.message("wrote \(out) and \(jsonPath)")
    }
}
