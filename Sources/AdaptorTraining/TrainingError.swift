/// Training problems a user can cause.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The corpus is too small for the neighbour count.
    case tooFewDocuments(count: Int, needed: Int)
    /// Too few judged training queries to hold some out.
    case tooFewQueries(count: Int, needed: Int)
    /// More anchors were asked for than the corpus has training rows.
    case tooManyAnchors(requested: Int, available: Int, corpus: Int)
    /// The rotation form trains the principal-axes front map, and there is none.
    case rotationFormNeedsFrontMap
    /// A supervised method was given corpus vectors alone.
    case needsJudgements(method: String)

    public var description: String {
        switch self {
        case let .tooFewDocuments(count, needed):
            return "training needs at least \(needed) documents for this neighbour count, got \(count)"
        case let .tooFewQueries(count, needed):
            return "supervised training needs at least \(needed) judged training queries that exist in the query set, got \(count)"
        case let .tooManyAnchors(requested, available, corpus):
            return "\(requested) anchors exceed the \(available) training rows of this \(corpus)-row corpus "
                + "(a tenth is held out for validation); ask for at most \(available), or for the default"
        case let .needsJudgements(method):
            return "\(method) trains on judged queries: give a corpus with queries and training judgements"
        case .rotationFormNeedsFrontMap:
            return "--form rotation and rotation-then-residual train the principal-axes front map; with --rotation identity use --form residual"
        }
    }
}
