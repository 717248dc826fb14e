import ArgumentParser

/// The `matryoshka` command tree.
public struct MatryoshkaCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "matryoshka",
        abstract: "Make embedding vectors shrinkable: fit Matryoshka adaptors and measure retrieval at every size.",
        discussion: """
        A data set is a folder with corpus.f32.npy + corpus_ids.txt, optionally queries.f32.npy + \
        query_ids.txt and BEIR qrels in qrels/<split>.tsv (the layout of ../shared/data).

        Example:
          matryoshka evaluate --data data/scifact --method pca
        """,
        version: matryoshkaVersion,
        subcommands: [EvaluateCommand.self]
    )

    public init() {}
}

/// The library version, recorded in model files and reports.
public let matryoshkaVersion = "0.1.0"
