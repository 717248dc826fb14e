import EmbeddingMath

/// How a float query meets stored codes.
public enum CodeScoring: String, Sendable, CaseIterable, Codable {
    /// The float query against what the codes stand for (``/EmbeddingMath/CodeMatrix/decoded(calibration:)``): the
    /// cosine of `y_q[:m]` and the decoded document; for binary codes, the query's centred coordinates
    /// `y_q[:m] − centre[:m]` against the document's `±1`.
    case asymmetric
    /// Binary codes on both sides, ranked by Hamming distance (fewest differing bits first); the score is the
    /// `±1` inner product `m − 2 · distance`.
    case hamming
}

/// Exact search over the size-`m` codes of a corpus, optionally re-scoring a shortlist with the full vectors.
///
/// Every score is computed from the codes (`N × bytesPerVector` bytes in memory); ``search(unitQueries:k:rescore:)``
/// with `rescore: (K, full)` takes the best `K` by the codes and orders them by the cosine of the unit full
/// vectors (which stay on disk in a deployment), as vector databases re-score a quantised shortlist.
public struct CodeIndex: Sendable {
    /// The corpus's codes.
    public let codes: CodeMatrix
    /// The calibration that made them (nil for float codes).
    public let calibration: CodeCalibration?
    /// How queries meet the codes.
    public let scoring: CodeScoring
    /// The decoded codes, unit rows (asymmetric scoring).
    let decoded: FlatIndex?

    /// An index over `codes` (made with `calibration`).
    public init(codes: CodeMatrix, calibration: CodeCalibration?, scoring: CodeScoring = .asymmetric) {
        precondition(scoring == .asymmetric || codes.precision == .binary, "Hamming scoring needs binary codes")
        self.codes = codes
        self.calibration = calibration
        self.scoring = scoring
        decoded = scoring == .asymmetric ? FlatIndex(vectors: codes.decoded(calibration: calibration)) : nil
    }

    /// The size `m`.
    public var dimension: Int { codes.dimension }

    /// The `k` best documents for each query.
    ///
    /// - Parameters:
    ///   - queries: the queries' unit full vectors `y_q` (`n × d`, `d ≥ m`); only their first `m` coordinates are
    ///     scored against the codes.
    ///   - k: documents per query.
    ///   - rescore: a shortlist length `K ≥ k` and the corpus's unit full vectors (`N × D`, the same `D` as
    ///     `queries`): the best `K` by the codes are ordered by the cosine of the full vectors, in double precision.
    /// - Returns: `n × k` indices and scores, best first, ties by corpus order.
    public func search(unitQueries queries: Matrix, k: Int, rescore: (size: Int, full: Matrix)? = nil) -> SearchResults {
        let m = dimension
        let first = rescore.map { max($0.size, k) } ?? k
        let shortlist: SearchResults
        switch scoring {
        case .asymmetric:
            var q = queries.prefix(columns: m)
            if codes.precision == .binary, let centre = calibration?.centre {
                q.subtractFromRows(Array(centre.prefix(m)))
            }
            shortlist = decoded!.search(q, k: first)
        case .hamming:
            let queryCodes = CodeMatrix(encoding: queries, dimension: m, precision: .binary, calibration: calibration)
            shortlist = hammingSearch(queryCodes, k: first)
        }
        guard let rescore else { return shortlist }
        return shortlist.refinedInDoublePrecision(queries: queries, corpus: rescore.full, prefix: queries.columns, k: k)
    }

    /// The `k` codes nearest to each query code by Hamming distance (ties by corpus order), scored `m − 2 · distance`;
    /// queries run in parallel, each scanning every code with the `popcnt` kernel and keeping the best `k` by a
    /// histogram of distances (they are integers in `0 ... m`).
    public func hammingSearch(_ queryCodes: CodeMatrix, k: Int) -> SearchResults {
        precondition(queryCodes.precision == .binary && queryCodes.dimension == codes.dimension, "Query codes of another shape")
        let n = queryCodes.rows, count = codes.rows, m = codes.dimension, stride = codes.bytesPerVector
        let keep = min(k, count)
        var indices = [Int32](repeating: -1, count: n * k)
        var scores = [Float](repeating: -.infinity, count: n * k)
        codes.bytes.withUnsafeBufferPointer { corpus in
            queryCodes.bytes.withUnsafeBufferPointer { queryBytes in
                indices.withUnsafeMutableBufferPointer { outIndices in
                    scores.withUnsafeMutableBufferPointer { outScores in
                        let (ci, qi) = (UncheckedSendable(corpus.baseAddress!), UncheckedSendable(queryBytes.baseAddress!))
                        let (oi, os) = (UncheckedSendable(outIndices.baseAddress!), UncheckedSendable(outScores.baseAddress!))
                        Parallelism.forEachRange(count: n, size: 1) { range, _ in
                            var distances = [UInt16](repeating: 0, count: count)
                            var histogram = [Int](repeating: 0, count: m + 2)
                            for q in range {
                                distances.withUnsafeMutableBufferPointer { d in
                                    Kernels.hammingDistances(qi.value + q * stride, ci.value, count: count, bytes: stride,
                                                             into: d.baseAddress!)
                                }
                                for i in histogram.indices { histogram[i] = 0 }
                                for dist in distances { histogram[Int(dist)] += 1 }
                                // The largest distance that still makes the top k, and how many at it are kept.
                                var cutoff = 0, below = 0
                                while below + histogram[cutoff] < keep {
                                    below += histogram[cutoff]
                                    cutoff += 1
                                }
                                var atCutoff = keep - below
                                var chosen: [(distance: UInt16, index: Int32)] = []
                                chosen.reserveCapacity(keep)
                                for i in 0 ..< count {
                                    let dist = distances[i]
                                    if Int(dist) < cutoff {
                                        chosen.append((dist, Int32(i)))
                                    } else if Int(dist) == cutoff, atCutoff > 0 {
                                        chosen.append((dist, Int32(i)))
                                        atCutoff -= 1
                                    }
                                }
                                chosen.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
                                for (r, entry) in chosen.enumerated() {
                                    oi.value[q * k + r] = entry.index
                                    os.value[q * k + r] = Float(m - 2 * Int(entry.distance))
                                }
                            }
                        }
                    }
                }
            }
        }
        return SearchResults(queryCount: n, k: k, indices: indices, scores: scores)
    }
}
