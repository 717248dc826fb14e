/// Everything that can be wrong with a file a user hands us, with the file and place named.
///
/// Each case's ``description`` is one sentence a user can act on: the file, the line or row, what was
/// expected and what was found.
public enum EmbeddingIOError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// A file that should hold data holds none.
    case emptyFile(path: String, expected: String)
    /// A `.npy` file whose header or layout we do not accept.
    case invalidNpy(path: String, problem: String)
    /// A safetensors model file whose header or layout we do not accept.
    case invalidSafetensors(path: String, problem: String)
    /// A binary file shorter than its header promises.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// A text file with a line we cannot parse.
    case malformedLine(path: String, line: Int, expected: String, found: String)
    /// The number of vectors differs from the number of ids.
    case rowCountMismatch(vectorsPath: String, rows: Int, idsPath: String, ids: Int)
    /// An id appears twice in one id list.
    case duplicateId(path: String, id: String, firstLine: Int, line: Int)
    /// A vector holds NaN or an infinite value.
    case nonFinite(path: String, row: Int, column: Int, value: Float)
    /// A vector is all zeros, so it has no direction and no cosine similarity.
    case zeroVector(path: String, row: Int)
    /// Two vector sets that must share a dimension do not.
    case dimensionMismatch(path: String, dimension: Int, expectedPath: String, expected: Int)
    /// A required file of a data set folder is missing.
    case missingFile(path: String, what: String)
    /// A file cannot be written.
    case cannotWrite(path: String, reason: String)
    /// An output names a file the command reads (or another output): writing it would destroy that file.
    case outputIsInput(output: String, outputOption: String, input: String, inputOption: String)
    /// Holding a file's vectors in memory would take more memory than is available.
    case tooLargeForMemory(path: String, rows: Int, columns: Int, needed: Int, available: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open (\(reason))"
        case let .emptyFile(path, expected):
            return "\(path): file is empty, expected \(expected)"
        case let .invalidNpy(path, problem):
            return "\(path): not a supported .npy file: \(problem)"
        case let .invalidSafetensors(path, problem):
            return "\(path): not a valid safetensors model file: \(problem)"
        case let .truncated(path, expected, actual):
            return "\(path): file is truncated: its header promises \(expected) bytes of data but only \(actual) follow"
        case let .malformedLine(path, line, expected, found):
            return "\(path), line \(line): expected \(expected), found \(found.debugDescription)"
        case let .rowCountMismatch(vectorsPath, rows, idsPath, ids):
            return "\(vectorsPath) has \(rows) rows but \(idsPath) has \(ids) ids; row i must match id line i"
        case let .duplicateId(path, id, firstLine, line):
            return "\(path), line \(line): duplicate id \(id.debugDescription) (first on line \(firstLine))"
        case let .nonFinite(path, row, column, value):
            return "\(path), row \(row): value \(value) at column \(column) is not finite; vectors must hold finite numbers"
        case let .zeroVector(path, row):
            return "\(path), row \(row): the vector is all zeros and has no cosine similarity"
        case let .dimensionMismatch(path, dimension, expectedPath, expected):
            return "\(path) has dimension \(dimension) but \(expectedPath) has dimension \(expected); they must match"
        case let .missingFile(path, what):
            return "\(path): missing (\(what))"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write (\(reason))"
        case let .outputIsInput(output, outputOption, input, inputOption):
            let same = output == input ? "" : " (\(input))"
            return "\(output): \(outputOption) names the same file as \(inputOption)\(same); writing it would destroy "
                + "what \(inputOption) gives, so nothing was written: choose another \(outputOption) path"
        case let .tooLargeForMemory(path, rows, columns, needed, available):
            return "\(path): this step holds the \(rows) × \(columns) vectors in memory (about \(gigabytes(needed)) "
                + "with its working copies) but only \(gigabytes(available)) is available; fit (unsupervised), apply, "
                + "search and evaluate without judgements stream a corpus of any size"
        }
    }
}

/// `bytes` in GB with one decimal.
func gigabytes(_ bytes: Int) -> String {
    let tenths = (Double(bytes) / 1e8).rounded()
    return "\(tenths / 10) GB"
}
