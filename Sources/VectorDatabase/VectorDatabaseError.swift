import Foundation
import PostgresNIO

/// What went wrong between matryoshka and PostgreSQL, with the place (never the password) and what to do.
public enum VectorDatabaseError: Error, CustomStringConvertible, Equatable {
    /// The connection URL does not parse.
    case invalidURL(redacted: String, problem: String)
    /// No server answered, or the connection broke.
    case unreachable(place: String, problem: String)
    /// The server refused the user name or password.
    case authentication(place: String, user: String, problem: String)
    /// The database lacks pgvector and it could not be created.
    case missingExtension(place: String, problem: String)
    /// `--table` is not a plain or schema-qualified identifier.
    case invalidTableName(String)
    /// The table exists and `--if-exists fail` was asked; `madeByLoad` says whether its comment is a load's.
    case tableExists(table: String, madeByLoad: Bool)
    /// `--if-exists replace` on a table that no load made (its comment records no layout), without `--force`.
    case notALoadTable(table: String)
    /// The table is missing (search, append).
    case noSuchTable(table: String, place: String)
    /// The table was not made by `matryoshka load`, or by another model, size or type.
    case layoutMismatch(table: String, problem: String)
    /// A statement failed on the server; `rolledBack` says whether the table is as it was.
    case server(what: String, message: String, rolledBack: String?)
    /// The server did not answer within the timeout; the connection was closed.
    case timedOut(what: String, place: String, seconds: Double)
    /// A search gave fewer rows than asked although the table holds enough (an approximate index's limit).
    case shortResult(table: String, query: Int, returned: Int, k: Int, advice: String)
    /// A `bit` table (binary codes) for a model without the codes' calibration, or for raw vectors.
    case noCalibration(fingerprint: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let problem):
            return "Cannot use the PostgreSQL URL \(url): \(problem)."
        case .unreachable(let place, let problem):
            return "Cannot reach PostgreSQL at \(place): \(problem). Is the server running, and is the host and port right?"
        case .authentication(let place, let user, let problem):
            return "PostgreSQL at \(place) refused user '\(user)': \(problem). Check the password in the URL or PGPASSWORD."
        case .missingExtension(let place, let problem):
            return "The database \(place) has no pgvector extension and it could not be created (\(problem)). "
                + "Install pgvector on the server and run 'CREATE EXTENSION vector;' as a superuser in that database."
        case .invalidTableName(let name):
            return "--table '\(name)' is not a table name: use letters, digits and underscores, optionally schema.table."
        case .tableExists(let table, true):
            return "Table \(table) already exists; pass --if-exists replace to overwrite it or --if-exists append to add rows."
        case .tableExists(let table, false):
            return "Table \(table) already exists and was not made by matryoshka load (its comment records no model and "
                + "size); choose another --table (or, to drop it and everything in it, --if-exists replace --force)."
        case .notALoadTable(let table):
            return "Table \(table) was not made by matryoshka load (its comment records no model and size), so "
                + "--if-exists replace does not drop it; check --table, or add --force to drop it and everything in it."
        case .noSuchTable(let table, let place):
            return "Table \(table) does not exist in \(place); load it first with matryoshka load."
        case .layoutMismatch(let table, let problem):
            return "Table \(table) \(problem)"
        case .server(let what, let message, let rolledBack):
            return "PostgreSQL failed while \(what): \(message)" + (rolledBack.map { ". \($0)" } ?? "")
        case .timedOut(let what, let place, let seconds):
            return "PostgreSQL at \(place) did not answer within \(seconds.formatted()) s while \(what), so the connection was "
                + "closed. Is the server stopped or overloaded? (--database-timeout sets the limit.)"
        case .shortResult(let table, let query, let returned, let k, let advice):
            return "Searching \(table) gave \(returned) rows for query \(query) where \(k) were asked and the table holds "
                + "at least \(k): \(advice)"
        case .noCalibration(let fingerprint):
            return fingerprint == "none"
                ? "--type bit stores binary codes, the sign after each coordinate's centre from a model's calibration: "
                    + "raw vectors have none; give --adaptor with a model file fit stored a calibration in."
                : "--type bit stores binary codes, the sign after each coordinate's centre, and the model \(fingerprint) "
                    + "was saved without that calibration (a fit from before codes existed): fit it again with this version."
        }
    }

    /// A PostgresNIO error as a message: the server's SQLSTATE, message, detail and hint, or the connection problem.
    public static func text(of error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            var parts = [info[.message] ?? "error"]
            if let detail = info[.detail] { parts.append(detail) }
            if let hint = info[.hint] { parts.append("hint: " + hint) }
            return parts.joined(separator: "; ") + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    /// The server's SQLSTATE, if the error came from the server.
    public static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
