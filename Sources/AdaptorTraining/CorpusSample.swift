import AdaptorNN
import EmbeddingIO
import EmbeddingMath
import Foundation

/// The rows of a corpus that unsupervised training looks at, gathered once, so that a corpus of any size trains
/// in memory proportional to the sample, never to the corpus.
///
/// Built in two streaming passes over the corpus (``build(source:configuration:log:status:)``):
/// 1. **Statistics**: every row is validated and L2-normalised; the mean and covariance of the normalised rows
///    (the front map's principal axes, and `μ`) accumulate in a `d × d` accumulator, and the SHA-256
///    fingerprint of the vectors is computed on the way.
/// 2. **Mining**: a tenth of the corpus (at least one row) is held out and never used as an anchor; up to
///    ``UnsupervisedConfiguration/anchors`` of the other rows are the training anchors; the `k` nearest
///    neighbours of every anchor and of every held-out validation row are mined against the **whole** corpus on
///    the original vectors (exactly, or on a principal-axes shortlist re-ranked exactly; see `NeighbourMiner`).
///    When the corpus has more training rows than the fidelity pool, the same pass also finds, exactly and in the
///    geometry training compares, the nearest training documents of the fidelity signal's queries
///    (``UnsupervisedConfiguration/fidelityNeighbourhood``), which join the pool.
///
/// Then the anchors, the held-out rows, their neighbours and the fidelity pool are read into ``vectors``.
/// No `N × N` matrix is formed, and a corpus that fits in memory goes through the same steps.
public struct CorpusSample: Sendable {
    /// Raw vectors of the sampled rows: anchors first, then held-out rows, then the rest in corpus order (`n × d`).
    public var vectors: Matrix
    /// The corpus row of each sampled row.
    public var corpusRows: [Int]
    /// Sample rows `0 ..< anchorCount` are the training anchors.
    public var anchorCount: Int
    /// Sample rows `anchorCount ..< anchorCount + heldOutCount` are held-out validation anchors.
    public var heldOutCount: Int
    /// Sample rows of the training documents searched by the fidelity signal: every training row, or on a larger
    /// corpus a random sample plus each fidelity query's nearest training documents of the whole corpus
    /// (``UnsupervisedConfiguration/fidelityNeighbourhood``).
    public var pool: [Int]
    /// Held-out rows `anchorCount ..< anchorCount + fidelityQueryCount` are the fidelity signal's queries.
    public var fidelityQueryCount: Int
    /// `k` neighbours (sample rows, best first) of each anchor and held-out row, `(anchorCount + heldOutCount) × k`.
    public var neighbours: [Int32]
    /// Neighbours per row in ``neighbours``.
    public var k: Int
    /// Mean and covariance of the whole normalised corpus.
    public var statistics: CovarianceAccumulator
    /// Rows in the whole corpus.
    public var corpusCount: Int
    /// SHA-256 fingerprint of the whole corpus's vectors (`EmbeddingSet.fingerprint`).
    public var fingerprint: String
    /// How the neighbours were mined.
    public var mining: MiningOutcome

    /// The anchors' sample rows.
    public var anchors: [Int] { Array(0 ..< anchorCount) }
    /// The held-out rows' sample rows.
    public var heldOut: [Int] { Array(anchorCount ..< anchorCount + heldOutCount) }
    /// The fidelity signal's queries (sample rows; the first held-out rows).
    public var fidelityQueries: [Int] { Array(anchorCount ..< anchorCount + fidelityQueryCount) }
}

/// How neighbours were mined, as recorded in the model file.
public struct MiningOutcome: Codable, Sendable, Equatable {
    /// The principal-axes prefix the shortlist compared, or nil for exact mining.
    public var shortlistDimension: Int?
    /// Shortlist length per query (shortlist mode).
    public var shortlistSize: Int?
    /// Mean share of the exact `k` neighbours found, over ``checkedQueries`` queries mined both ways.
    public var recall: Double?
    /// Queries mined both ways for ``recall``.
    public var checkedQueries: Int

    enum CodingKeys: String, CodingKey {
        case shortlistDimension = "shortlist_dimension", shortlistSize = "shortlist_size"
        case recall = "neighbour_recall", checkedQueries = "checked_queries"
    }
}

extension CorpusSample {
    /// Rows per block when streaming the corpus.
    public static let blockRows = 16384

    /// Samples `source` for unsupervised training with `configuration` (anchors, `k`, mining, seed, validation).
    ///
    /// - Parameters:
    ///   - source: the raw corpus, `N × d`, in memory or read in blocks.
    ///   - configuration: the unsupervised settings that shape the sample.
    ///   - log: one-line messages (what was mined and how well, timings).
    ///   - status: transient progress lines with rate and time left.
    /// - Throws: ``TrainingError`` when the corpus is too small or an explicit anchor count exceeds it;
    ///   the source's read errors (a bad row names its file and row).
    public static func build(source: RowSource, configuration: UnsupervisedConfiguration,
                             log: ((String) -> Void)? = nil, status: ((String) -> Void)? = nil) throws -> CorpusSample {
        let n = source.rowCount, d = source.dimension, k = configuration.neighbours
        guard n > k + 1 else { throw TrainingError.tooFewDocuments(count: n, needed: k + 2) }
        let clock = ContinuousClock()

        // Pass 1: statistics and fingerprint.
        var statistics = CovarianceAccumulator(dimension: d)
        var hash = SHA256()
        hash.update(Array("\(n)x\(d)\n".utf8))
        var start = clock.now
        try source.forEachBlock(rows: blockRows) { first, block in
            hash.update(contentsOf: block.storage)
            statistics.add(block.normalizedRows())
            status?(rateLine("reading and covariance", done: first + block.rows, total: n, unit: "rows", since: start))
        }
        log?("read \(n) × \(d) vectors from \(source.sourceName) (covariance, fingerprint) in \(clock.now - start)")

        // Which rows play which part.
        var generator = SeededGenerator(seed: configuration.seed &+ 1)
        let (trainRows, validationRows) = splitForValidation(count: n, fraction: configuration.validationFraction,
                                                             generator: &generator)
        if let anchors = configuration.anchors, anchors > trainRows.count {
            throw TrainingError.tooManyAnchors(requested: anchors, available: trainRows.count, corpus: n)
        }
        let anchorRows = Array(trainRows.prefix(configuration.anchors ?? UnsupervisedConfiguration.defaultAnchors))
        let heldOutRows = Array(validationRows.prefix(configuration.maxValidationAnchors))
        var poolRows: [Int] = []
        var fidelityQueryCount = heldOutRows.count
        // Fidelity at the corpus's scale: the fidelity queries' nearest documents, mined over the whole corpus in
        // the geometry training compares, join a random pool that cannot hold every training row.
        var scaleMiner: NeighbourMiner?
        var centre: [Float]?
        var isHeldOut: [Bool] = []
        if configuration.usesFidelity {
            var poolGenerator = SeededGenerator(seed: configuration.seed &+ 2)
            poolRows = Array(trainRows.shuffled(using: &poolGenerator).prefix(configuration.fidelityPoolSize)).sorted()
            if trainRows.count > configuration.fidelityPoolSize, configuration.fidelityNeighbourhood > 0 {
                fidelityQueryCount = min(heldOutRows.count, configuration.fidelityScaleQueries)
                let rows = Array(heldOutRows.prefix(fidelityQueryCount))
                centre = configuration.centres(statistics: statistics) ? statistics.mean().map(Float.init) : nil
                let scaleQueries = try source.gather(rows).normalizedRows().recentred(on: centre)
                scaleMiner = NeighbourMiner(queries: scaleQueries, corpusRows: rows,
                                            k: configuration.fidelityNeighbourhood)
                isHeldOut = [Bool](repeating: false, count: n)
                for row in validationRows { isHeldOut[row] = true }
            }
        }

        // Pass 2: neighbours of the anchors and held-out rows over the whole corpus.
        let queryRows = anchorRows + heldOutRows
        let queries = try source.gather(queryRows).normalizedRows()
        let shortlistDimension = configuration.shortlistDimension(corpusRows: n, queries: queryRows.count, dimension: d)
        var projection: Matrix?
        if let m = shortlistDimension {
            let axes = try statistics.principalAxes()
            projection = Matrix(rows: m, columns: d, storage: axes.vectors[0 ..< m * d].map(Float.init))
        }
        var miner = NeighbourMiner(queries: queries, corpusRows: queryRows, k: k, projection: projection,
                                   shortlist: configuration.miningShortlist)
        start = clock.now
        try source.forEachBlock(rows: blockRows) { first, block in
            let normalised = block.normalizedRows()
            miner.add(normalizedDocuments: normalised, firstIndex: first)
            if scaleMiner != nil {
                // Held-out rows are blanked (every score 0) so that they cannot take a training document's place.
                var documents = normalised.recentred(on: centre)
                for i in 0 ..< documents.rows where isHeldOut[first + i] {
                    for j in 0 ..< d { documents[i, j] = 0 }
                }
                scaleMiner!.add(normalizedDocuments: documents, firstIndex: first)
            }
            status?(rateLine("mining \(k) neighbours of \(queryRows.count) rows", done: first + block.rows, total: n,
                             unit: "rows", since: start))
        }
        let found = miner.neighbours()
        if let scaleMiner {
            let nearest = scaleMiner.neighbours().map { $0.filter { !isHeldOut[$0] } }
            let before = poolRows.count
            poolRows = Set(poolRows).union(nearest.joined()).sorted()
            log?("fidelity at the corpus's scale: \(fidelityQueryCount) held-out rows and their "
                + "\(configuration.fidelityNeighbourhood) nearest training documents of \(n) "
                + "(\(centre == nil ? "original" : "centred") geometry) join a pool of \(before): "
                + "\(poolRows.count) rows")
        }
        let recall = miner.recall()
        let how = shortlistDimension.map { "shortlist of \(miner.shortlist) on the first \($0) principal axes, re-ranked exactly" }
            ?? "exact"
        log?("mined \(k) neighbours of \(queryRows.count) anchors and held-out rows against \(n) documents (\(how)) in "
            + "\(clock.now - start)" + (recall.map {
                "; neighbour recall@\(k) against exact mining on \(miner.checkedQueries) anchors: "
                    + String(format: "%.3f", $0) } ?? ""))

        // The sample: anchors, held-out rows, then every other row training touches, in corpus order.
        let firstRows = anchorRows + heldOutRows
        var position = [Int: Int](minimumCapacity: firstRows.count * (k + 1) + poolRows.count)
        for (i, row) in firstRows.enumerated() { position[row] = i }
        let others = Set(found.joined()).union(poolRows).subtracting(firstRows).sorted()
        for (i, row) in others.enumerated() { position[row] = firstRows.count + i }
        let corpusRows = firstRows + others
        start = clock.now
        let vectors = try source.gather(corpusRows)
        log?("gathered \(corpusRows.count) sampled rows in \(clock.now - start)")
        var table = [Int32](repeating: -1, count: firstRows.count * k)
        for (q, list) in found.enumerated() {
            for (j, row) in list.enumerated() { table[q * k + j] = Int32(position[row]!) }
        }
        return CorpusSample(
            vectors: vectors, corpusRows: corpusRows, anchorCount: anchorRows.count, heldOutCount: heldOutRows.count,
            pool: poolRows.map { position[$0]! }, fidelityQueryCount: fidelityQueryCount, neighbours: table, k: k,
            statistics: statistics, corpusCount: n, fingerprint: hash.hexDigest(),
            mining: MiningOutcome(shortlistDimension: shortlistDimension,
                                  shortlistSize: shortlistDimension.map { _ in miner.shortlist }, recall: recall,
                                  checkedQueries: miner.checkedQueries))
    }
}
