import ArgumentParser
import Matryoshka

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

    /// The files the folder gives (see ``DatasetLayout/inputFiles``), named by `--data`.
    func inputFiles() throws -> [(option: String, path: String?)] {
        try DatasetLayout(directory: data, model: model).inputFiles.map { ("--data", $0) }
    }

    /// Loads and validates the data set.
    func load() throws -> Dataset {
        try Dataset.load(directory: data, model: model)
    }
}

/// Where a corpus comes from: a data set folder (`--data DIR [--model NAME]`) or a bare vector file
/// (`--corpus X.npy`), for the commands that stream a corpus of any size.
public struct CorpusOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Data set folder: corpus.f32.npy, corpus_ids.txt, queries.f32.npy, query_ids.txt, qrels/<split>.tsv.",
        valueName: "DIR"))
    public var data: String?

    @Option(name: .long, help: ArgumentHelp(
        "With --data: use the vectors of DIR/models/NAME instead of the folder's own (qrels fall back to DIR/qrels).",
        valueName: "NAME"))
    public var model: String?

    @Option(name: .long, help: ArgumentHelp("A corpus .npy (N × d) instead of a data set folder.", valueName: "X.npy"))
    public var corpus: String?

    public init() {}

    public func validate() throws {
        if data != nil, corpus != nil { throw ValidationError("Give one of --data DIR or --corpus X.npy, not both") }
        if model != nil, data == nil { throw ValidationError("--model needs --data") }
    }

    /// Fails unless exactly one of `--data` and `--corpus` is given (commands that read a corpus call this).
    public func requireCorpus() throws {
        guard data != nil || corpus != nil else { throw ValidationError("Give exactly one of --data DIR or --corpus X.npy") }
    }

    /// The files `--data` or `--corpus` gives, for ``refuseOutputsOverwritingInputs(outputs:inputs:)``.
    public func inputFiles() throws -> [(option: String, path: String?)] {
        try [("--corpus", corpus)] + (layout()?.inputFiles.map { ("--data", Optional($0)) } ?? [])
    }

    /// The data set folder's files, with `--data`.
    public func layout() throws -> DatasetLayout? {
        try data.map { try DatasetLayout(directory: $0, model: model) }
    }

    /// The corpus vectors as a file read in blocks (rows checked as they are read), with their ids when `ids` is
    /// true (`--corpus` files have none: their ids are the row numbers).
    public func openCorpus(ids: Bool) throws -> (vectors: NpyFile, ids: [String]) {
        if let corpus {
            let opened = try openVectors(corpus, ids: nil)
            return (opened.vectors, ids ? (0 ..< opened.vectors.rowCount).map(String.init) : [])
        }
        let layout = try layout()!
        return try openVectors(layout.corpusVectors, ids: ids ? layout.corpusIds : nil)
    }
}

/// Parses `16,32,64` into sizes; every size must be a positive integer.
public func parseDimensions(_ text: String, flag: String = "--dims") throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    return try parts.map { part in
        guard let m = Int(part.trimmingCharacters(in: .whitespaces)), m > 0 else {
            throw ValidationError("\(flag) expects comma-separated positive integers such as 16,32,64; got '\(part)'")
        }
        return m
    }
}
