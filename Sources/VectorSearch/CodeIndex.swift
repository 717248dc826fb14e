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
/// Every score is computed from the codes (`N × bytesPerVector` bytes in memory; an asymmetric scan decodes one
/// L2-sized block of codes per worker at a time and scores it with `sgemm`); ``search(unitQueries:k:rescore:)``
/// with `rescore: (K, full)` takes the best `K` by the codes and orders them by the cosine of the unit full
/// vectors (which stay on disk in a deployment), as vector databases re-score a quantised shortlist.
public struct CodeIndex: Sendable {
    /// The corpus's codes.
    public let codes: CodeMatrix
    /// The calibration that made them (nil for float codes).
    public let calibration: CodeCalibration?
    /// How queries meet the codes.
    public let scoring: CodeScoring
    /// Codes decoded and scored per job of an asymmetric scan: about 64 Ki floats (256 KiB, so a block stays in
    /// the core's L2 cache between decoding, normalising and `sgemm`), at least 256 rows.
    var decodeBlock: Int { max(256, 65_536 / max(1, codes.dimension)) }

    /// An index over `codes` (made with `calibration`).
    public init(codes: CodeMatrix, calibration: CodeCalibration?, scoring: CodeScoring = .asymmetric) {
        precondition(scoring == .asymmetric || codes.precision == .binary, "Hamming scoring needs binary codes")
        self.codes = codes
        self.calibration = calibration
        self.scoring = scoring
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
    ///
    /// A Hamming shortlist keeps every code tied with its `K`-th (distances are integers, and which of a tie a cut
    /// keeps would otherwise decide the re-scored ranking): the documents within the `K`-th smallest distance, as
    /// `FETCH FIRST K ROWS WITH TIES` gives them in SQL.
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
            shortlist = asymmetricSearch(q.normalizedRows(), k: first)
        case .hamming:
            let queryCodes = CodeMatrix(encoding: queries, dimension: m, precision: .binary, calibration: calibration)
            let best = hammingSearch(queryCodes, k: first)
            shortlist = rescore == nil ? best : withTies(best, queryCodes: queryCodes)
        }
        guard let rescore else { return shortlist }
        return shortlist.refinedInDoublePrecision(queries: queries, corpus: rescore.full, prefix: queries.columns, k: k)
    }

    /// The `k` best codes for each unit query row (`n × m`) by the cosine of the query and the decoded code.
    ///
    /// Blocks of `decodeBlock` codes are jobs: each decodes its block to unit rows (``/EmbeddingMath/CodeMatrix/decoded(rows:calibration:)``),
    /// scores it with `sgemm` into its own top-`k` lists, and the lists are merged in block order, a wave of blocks at
    /// a time, so memory holds the codes, one decoded block per worker and one wave of lists. The merge keeps the
    /// exact top `k` by (score, corpus order), the same for any thread count. Fewer than 8 queries against int8
    /// codes skip the decoded block: each is scored against the codes by one fused pass
    /// (``/EmbeddingMath/Kernels/int8Cosines(query:codes:rows:m:low:step:into:)``).
    func asymmetricSearch(_ queries: Matrix, k: Int) -> SearchResults {
        let m = dimension
        var top = TopKAccumulator(queryCount: queries.rows, k: k)
        // Fewer than 8 queries of int8 codes: decoding a block costs more than scoring it, so each query is scored
        // against the codes directly (the values decoded with a precomputed step: the same cosine up to rounding),
        // in larger blocks since nothing decoded has to stay in cache.
        let step: [Float]? = codes.precision == .int8 && queries.rows < 8 && calibration != nil
            ? (0 ..< m).map { (calibration!.high[$0] - calibration!.low[$0]) / 255 } : nil
        let block = step == nil ? decodeBlock : 16_384, blocks = (codes.rows + block - 1) / block
        let wave = max(1, 4 * Parallelism.threads)
        var first = 0
        while first < blocks {
            let jobs = first ..< min(blocks, first + wave)
            let floors = top.thresholds(0 ..< queries.rows)
            let lists = Parallelism.map(jobs: jobs.count) { job, _ -> TopKAccumulator in
                let start = (jobs.lowerBound + job) * block
                let rows = start ..< min(codes.rows, start + block)
                var lists = TopKAccumulator(queryCount: queries.rows, k: k, floors: floors)
                if let step {
                    // A few queries: each meets the codes directly, with nothing decoded to memory.
                    var scores = [Float](repeating: 0, count: rows.count)
                    codes.bytes.withUnsafeBufferPointer { source in
                        queries.storage.withUnsafeBufferPointer { q in
                            scores.withUnsafeMutableBufferPointer { out in
                                for query in 0 ..< queries.rows {
                                    Kernels.int8Cosines(query: q.baseAddress! + query * m, codes: source.baseAddress! + start * m,
                                                        rows: rows.count, m: m, low: calibration!.low, step: step,
                                                        into: out.baseAddress!)
                                    lists.offer(query: query, scores: out.baseAddress!, count: rows.count, firstIndex: start)
                                }
                            }
                        }
                    }
                    return lists
                }
                // Normalised here, row by row on this worker (Matrix.normalizeRows would start a parallel loop per block).
                var documents = codes.decoded(rows: rows, calibration: calibration)
                documents.storage.withUnsafeMutableBufferPointer { values in
                    for i in 0 ..< rows.count { Kernels.normalize(values.baseAddress! + i * m, count: m) }
                }
                lists.add(queries: queries, documents: documents, firstIndex: start, threads: 1)
                return lists
            }
            for lists in lists { top.merge(lists) }
            first = jobs.upperBound
        }
        return top.results()
    }

    /// Each query's list in `best` (its `K` nearest codes) widened to every code within the `K`-th smallest distance,
    /// in corpus order; lists that were not full stay as they are. Rows are padded with −1 to the longest.
    func withTies(_ best: SearchResults, queryCodes: CodeMatrix) -> SearchResults {
        let n = best.queryCount, count = codes.rows, stride = codes.bytesPerVector, m = codes.dimension
        var lists = [[(index: Int32, distance: Int)]](repeating: [], count: n)
        codes.bytes.withUnsafeBufferPointer { corpus in
            queryCodes.bytes.withUnsafeBufferPointer { queryBytes in
                lists.withUnsafeMutableBufferPointer { out in
                    let (ci, qi, o) = (UncheckedSendable(corpus.baseAddress!), UncheckedSendable(queryBytes.baseAddress!),
                                       UncheckedSendable(out.baseAddress!))
                    Parallelism.forEachRange(count: n, size: 8) { range, _ in
                        var distances = [UInt16](repeating: 0, count: count)
                        for q in range {
                            let found = best.neighbourScores(of: q)
                            guard found.count == best.k, let last = found.last else {
                                o.value[q] = zip(best.neighbours(of: q), found).map { (Int32($0), (m - Int($1)) / 2) }
                                continue
                            }
                            let cutoff = (m - Int(last)) / 2
                            distances.withUnsafeMutableBufferPointer { d in
                                Kernels.hammingDistances(qi.value + q * stride, ci.value, count: count, bytes: stride,
                                                         into: d.baseAddress!)
                            }
                            o.value[q] = distances.indices.compactMap { i in
                                Int(distances[i]) <= cutoff ? (Int32(i), Int(distances[i])) : nil
                            }
                        }
                    }
                }
            }
        }
        let width = max(1, lists.map(\.count).max() ?? 0)
        var indices = [Int32](repeating: -1, count: n * width)
        var scores = [Float](repeating: -.infinity, count: n * width)
        for (q, list) in lists.enumerated() {
            for (r, entry) in list.sorted(by: { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }).enumerated() {
                indices[q * width + r] = entry.index
                scores[q * width + r] = Float(m - 2 * entry.distance)
            }
        }
        return SearchResults(queryCount: n, k: width, indices: indices, scores: scores)
    }

    /// The `k` codes nearest to each query code by Hamming distance (ties by corpus order), scored `m − 2 · distance`.
    ///
    /// Work is cut into blocks of up to 64 queries, each scanning the codes tile by tile with the `popcnt` kernel
    /// (``/EmbeddingMath/Kernels/hammingTopK(queries:queryCount:codes:count:bytes:firstIndex:k:indices:distances:)``)
    /// so a tile is reused from cache by the whole block. With fewer query blocks than workers (one query, as `serve`
    /// sends), the corpus is cut into segments instead and their top-`k` lists merged; either way the result is the
    /// exact ranking by (distance, index), the same for any thread count.
    public func hammingSearch(_ queryCodes: CodeMatrix, k: Int) -> SearchResults {
        precondition(queryCodes.precision == .binary && queryCodes.dimension == codes.dimension, "Query codes of another shape")
        let n = queryCodes.rows, count = codes.rows, m = codes.dimension, stride = codes.bytesPerVector
        var indices = [Int32](repeating: -1, count: n * k)
        var distances = [Int32](repeating: .max, count: n * k)
        guard n > 0, k > 0 else { return SearchResults(queryCount: n, k: k, indices: indices, scores: []) }
        let block = 64
        let blocks = (n + block - 1) / block
        let threads = Parallelism.threads
        // Segments only pay when query blocks cannot keep every worker busy; a segment keeps at least 16,384 codes.
        let segments = blocks >= threads ? 1 : max(1, min(threads, count / 16_384))
        var partIndices = [Int32](repeating: -1, count: segments == 1 ? 0 : segments * n * k)
        var partDistances = [Int32](repeating: .max, count: partIndices.count)
        codes.bytes.withUnsafeBufferPointer { corpus in
            queryCodes.bytes.withUnsafeBufferPointer { queryBytes in
                let (ci, qi) = (UncheckedSendable(corpus.baseAddress!), UncheckedSendable(queryBytes.baseAddress!))
                if segments == 1 {
                    indices.withUnsafeMutableBufferPointer { outIndices in
                        distances.withUnsafeMutableBufferPointer { outDistances in
                            let (oi, od) = (UncheckedSendable(outIndices.baseAddress!), UncheckedSendable(outDistances.baseAddress!))
                            Parallelism.forEachRange(count: n, size: block) { range, _ in
                                Kernels.hammingTopK(queries: qi.value + range.lowerBound * stride, queryCount: range.count,
                                                    codes: ci.value, count: count, bytes: stride, firstIndex: 0, k: k,
                                                    indices: oi.value + range.lowerBound * k,
                                                    distances: od.value + range.lowerBound * k)
                            }
                        }
                    }
                } else {
                    partIndices.withUnsafeMutableBufferPointer { outIndices in
                        partDistances.withUnsafeMutableBufferPointer { outDistances in
                            let (oi, od) = (UncheckedSendable(outIndices.baseAddress!), UncheckedSendable(outDistances.baseAddress!))
                            let size = (count + segments - 1) / segments
                            Parallelism.forEachRange(count: segments, size: 1) { range, _ in
                                let s = range.lowerBound, start = s * size, end = min(count, start + size)
                                Kernels.hammingTopK(queries: qi.value, queryCount: n, codes: ci.value + start * stride,
                                                    count: max(0, end - start), bytes: stride, firstIndex: start, k: k,
                                                    indices: oi.value + s * n * k, distances: od.value + s * n * k)
                            }
                        }
                    }
                }
            }
        }
        if segments > 1 {
            // Merge: every segment's list is sorted by (distance, index); the k smallest pairs over all of them.
            for q in 0 ..< n {
                var merged: [(distance: Int32, index: Int32)] = []
                merged.reserveCapacity(segments * k)
                for s in 0 ..< segments {
                    let base = (s * n + q) * k
                    for r in 0 ..< k where partIndices[base + r] >= 0 {
                        merged.append((partDistances[base + r], partIndices[base + r]))
                    }
                }
                merged.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.index < $1.index }
                for (r, entry) in merged.prefix(k).enumerated() {
                    indices[q * k + r] = entry.index
                    distances[q * k + r] = entry.distance
                }
            }
        }
        let scores = zip(indices, distances).map { index, distance in index < 0 ? -Float.infinity : Float(m - 2 * Int(distance)) }
        return SearchResults(queryCount: n, k: k, indices: indices, scores: scores)
    }
}
