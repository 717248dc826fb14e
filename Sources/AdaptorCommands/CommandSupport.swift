import ArgumentParser
import Foundation
import Matryoshka

/// Writes a line to standard error (logs and warnings; results go to standard output).
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `body`'s result, with a size the pipeline cannot take reported as a usage error naming `flag` and its value.
public func flagged<T>(_ flag: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let PipelineError.sizeOutOfRange(size, outputDimension) {
        throw ValidationError("\(flag) \(size) is outside 1...\(outputDimension), the sizes this \(outputDimension)-d output can be cut to")
    }
}
