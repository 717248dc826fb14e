import ArgumentParser
import EmbeddingIO

/// The `matryoshka` command tree.
public struct MatryoshkaCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "matryoshka",
        abstract: "Make embedding vectors shrinkable: fit Matryoshka adaptors and measure retrieval at every size.",
        discussion: """
        A data set is a folder with corpus.f32.npy + corpus_ids.txt, optionally queries.f32.npy + \
        query_ids.txt and BEIR qrels in qrels/<split>.tsv (the layout of ../shared/data).

        Examples:
          matryoshka evaluate --data data/scifact --method pca
          matryoshka fit --data data/scifact --out scifact.safetensors
          matryoshka evaluate --data data/scifact --method adaptor --adaptor scifact.safetensors
          matryoshka apply --adaptor scifact.safetensors --input corpus.f32.npy --output corpus.64.npy --dimension 64
        """,
        version: matryoshkaLibraryVersion,
        subcommands: [FitCommand.self, ApplyCommand.self, EvaluateCommand.self]
    )

    public init() {}
}
