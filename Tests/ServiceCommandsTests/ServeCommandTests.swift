import AdaptorServer
import ArgumentParser
import Matryoshka
@testable import ServiceCommands
import Testing

/// `serve`'s flags become the server's configuration; what cannot run is refused at parse time.
@Suite struct ServeCommandTests {
    @Test func flagsBecomeTheConfiguration() throws {
        let command = try ServeCommand.parse(["--adaptor", "/m/u.safetensors", "--port", "0", "--data", "/d/scifact",
                                              "--shortlist-dimension", "32", "--max-inputs", "7", "--log-level", "warning"])
        let configuration = command.serverConfiguration()
        #expect(configuration.method == .model(path: "/m/u.safetensors") && configuration.modelName == "u")
        #expect(configuration.corpus == .dataset(directory: "/d/scifact", model: nil) && configuration.shortlistDimension == 32)
        #expect(configuration.port == 0 && configuration.maxInputs == 7 && configuration.logLevel == "warning")
        let truncation = try ServeCommand.parse(["--input-dimension", "384"]).serverConfiguration()
        #expect(truncation.method == .truncation && truncation.dimension == 384 && truncation.modelName == "truncation")
        let table = try ServeCommand.parse(["--adaptor", "u.safetensors", "--postgres", "postgres://u@h/db", "--table", "t",
                                            "--ef-search", "80"]).serverConfiguration()
        #expect(table.corpus == .postgres(url: "postgres://u@h/db", table: "t", efSearch: 80, probes: nil))
        let codes = try ServeCommand.parse(["--adaptor", "u", "--data", "x", "--precision", "binary", "--search-dimension", "256",
                                            "--scoring", "hamming", "--rescore", "100"]).serverConfiguration()
        #expect(codes.codes == CodeSearchSettings(dimension: 256, precision: .binary, scoring: .hamming, rescore: 100))
    }

    @Test(arguments: [
        ["--port", "0"],                                                   // truncation with nothing giving d
        ["--adaptor", "u", "--data", "x", "--corpus", "y.npy"],            // two corpora
        ["--adaptor", "u", "--log-level", "loud"],
        ["--adaptor", "u", "--upstream", "http://127.0.0.1:9/v1"],         // no upstream model
        ["--adaptor", "u", "--ef-search", "10"],                           // without --postgres
        ["--adaptor", "u", "--postgres", "postgres://u@h/db"],            // without --table
        ["--adaptor", "u", "--data", "x", "--rescore", "10"],              // --rescore without --precision
        ["--adaptor", "u", "--precision", "int8"],                          // codes without an in-memory corpus
        ["--adaptor", "u", "--data", "x", "--precision", "int8", "--shortlist-dimension", "8"],
        ["--adaptor", "u", "--data", "x", "--precision", "float32"],
    ])
    func whatCannotRunIsRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try ServeCommand.parse(arguments) }
    }
}
