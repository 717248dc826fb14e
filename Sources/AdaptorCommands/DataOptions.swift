import ArgumentParser
import EmbeddingIO

/// Where the data comes from: `--data DIR [--model NAME]`.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Data set folder: corpus.f32.npy, corpus_ids.txt, queries.f32.npy, query_ids.txt, qrels/<split>.tsv.",
        valueName: "DIR"))
    var data: String

    @Option(name: .long, help: ArgumentHelp(
        "Use the vectors of DIR/models/NAME instead of the folder's own (qrels fall back to DIR/qrels).",
        valueName: "NAME"))
    var model: String?

    /// Loads and validates the data set.
    func load() throws -> Dataset {
        try Dataset.load(directory: data, model: model)
    }
}

/// Parses `16,32,64` into sizes; every size must be a positive integer.
func parseDimensions(_ text: String, flag: String = "--dims") throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    return try parts.map { part in
        guard let m = Int(part.trimmingCharacters(in: .whitespaces)), m > 0 else {
            throw ValidationError("\(flag) expects comma-separated positive integers such as 16,32,64; got '\(part)'")
        }
        return m
    }
}
