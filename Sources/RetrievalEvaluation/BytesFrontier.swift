/// The trade drawn in bytes: which (size, precision) points are worth their memory, and the cheapest that keeps a
/// given share of a reference's quality.
///
/// A point `a` is *dominated* when another point `b` costs no more (`bytes(b) ≤ bytes(a)`) and scores at least as
/// well (`nDCG(b) ≥ nDCG(a)`), strictly better in one of the two. The undominated points are the frontier: for any
/// budget, the best quality is one of them.
public enum BytesFrontier {
    /// For each point `(bytes, score)`, whether another point dominates it. `O(n log n)`.
    /// - Parameter points: bytes per vector and the score (higher is better) of each point.
    /// - Returns: one flag per point, in the points' order.
    public static func dominated(_ points: [(bytes: Int, score: Double)]) -> [Bool] {
        // Cheapest first; at equal bytes, best first. A point is dominated when a point before it in that order
        // scores at least as well (with fewer bytes, or equal bytes and a better or equal score earlier).
        let order = points.indices.sorted {
            points[$0].bytes != points[$1].bytes ? points[$0].bytes < points[$1].bytes
                : points[$0].score != points[$1].score ? points[$0].score > points[$1].score : $0 < $1
        }
        var flags = [Bool](repeating: false, count: points.count)
        var best = -Double.infinity
        var bestBytes = Int.min
        for i in order {
            let (bytes, score) = points[i]
            // Equal to an earlier point in both: dominated only if the earlier one is strictly cheaper.
            flags[i] = score < best || (score == best && bytes > bestBytes)
            if score > best { best = score; bestBytes = bytes }
        }
        return flags
    }

    /// The index of the point with the fewest bytes whose score is at least `share × reference` (ties: the better
    /// score, then the earlier point); nil when none is.
    /// - Parameters:
    ///   - points: bytes per vector and the score of each point.
    ///   - share: the share to keep, in (0, 1] (for example 0.99).
    ///   - reference: the score to keep a share of (the full float vectors').
    public static func cheapest(_ points: [(bytes: Int, score: Double)], keeping share: Double, of reference: Double) -> Int? {
        let threshold = share * reference
        return points.indices.filter { points[$0].score >= threshold }.min {
            points[$0].bytes != points[$1].bytes ? points[$0].bytes < points[$1].bytes
                : points[$0].score != points[$1].score ? points[$0].score > points[$1].score : $0 < $1
        }
    }
}
