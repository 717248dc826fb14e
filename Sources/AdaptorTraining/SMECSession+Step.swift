import AdaptorNN
import EmbeddingMath
import Foundation

extension SMECSession {
    /// Loss terms and adaptor gradient of one batch; the importance logits are updated here.
    func step(_ adaptor: MatryoshkaAdaptor, sizes: [Int], candidates: [Int], temperature: Float) -> (LossTerms, AdaptorParameters) {
        let settings = configuration.unsupervised
        let d = adaptor.outputDimension
        let documents = documentSampler.next(settings.batchSize)
        let queries = querySampler.map { $0.next(configuration.supervised!.queryBatchSize) } ?? []
        var batch = state.makeBatch(anchors: documents + queries.map { supervised!.itemRow(ofQuery: $0) })
        var pairs = batch.neighbourPairs
        var targets = batch.neighbourTargets
        if configuration.crossBatchMemory, !memory.isEmpty {
            let (memoryItems, memoryTargets) = memoryNeighbours(of: documents)
            let rows = batch.appendRows(memoryItems.flatMap { $0 })
            var r = 0
            for (a, items) in memoryItems.enumerated() {
                for _ in items {
                    pairs.append((a, rows[r]))
                    targets.append(memoryTargets[r])
                    r += 1
                }
            }
        }
        var candidateRows: [Int] = [], grades = Matrix(rows: 0, columns: 0), queryRows: [Int] = []
        if let supervised, let supervisedSettings = configuration.supervised {
            let chosen = supervised.candidates(for: queries, random: supervisedSettings.randomNegatives, generator: &generator)
            grades = chosen.grades
            queryRows = Array(documents.count ..< documents.count + queries.count)
            candidateRows = batch.appendRows(chosen.documents)
        }
        let (z, x) = state.inputs(adaptor, rows: batch.corpusRows)
        let forward = adaptor.forward(rotated: z)
        let y = forward.output
        let n = y.rows
        var dy = Matrix(rows: n, columns: d)
        var importanceGradient = [Float](repeating: 0, count: d)
        var topk = 0.0, pair = 0.0, rank = 0.0
        let noise = RelaxedTopK.gumbelNoise(count: candidates.count, generator: &generator)
        for m in sizes {
            // The size-m mask over all coordinates: relaxed top-m of a + g among the candidates, or the first m.
            var mask = [Float](repeating: 0, count: d)
            var relaxed: RelaxedTopK?
            if configuration.adaptiveSelection {
                let r = RelaxedTopK(scores: candidates.indices.map { importance[candidates[$0]] + noise[$0] }, k: m,
                                    temperature: temperature)
                for (i, j) in candidates.enumerated() { mask[j] = r.mask[i] }
                relaxed = r
            } else {
                for j in candidates.prefix(m) { mask[j] = 1 }
            }
            let coordinateMask = CoordinateMask(weights: mask)
            let v = coordinateMask.apply(y)
            var dv = Matrix(rows: n, columns: d)
            let terms = state.objective.similarityTerms(v, pairs: pairs, targets: targets, anchorCount: batch.anchorCount,
                                                        anchorTargets: batch.anchorTargets, gradient: &dv)
            topk += terms.topk
            pair += terms.pair
            if let supervisedSettings = configuration.supervised, !queryRows.isEmpty {
                rank += ranking.add(outputs: v, queryRows: queryRows, candidateRows: candidateRows, grades: grades,
                                    weight: supervisedSettings.gamma, into: &dv)
            }
            let (inputGradient, maskGradient) = coordinateMask.backward(dv, inputs: y)
            dy.addRows(inputGradient, at: 0)
            if let relaxed {
                let g = relaxed.backward(candidates.map { maskGradient[$0] })
                for (i, j) in candidates.enumerated() { importanceGradient[j] += g[i] }
            }
        }
        let (rec, recGradient) = state.objective.reconstruction(forward.residual)
        if configuration.adaptiveSelection { importanceOptimiser.update(&importance, along: importanceGradient) }
        if configuration.crossBatchMemory { remember(documents) }
        var terms: [(name: String, value: Double)] = [("topk", topk)]
        if settings.alpha != 0 { terms.append(("pair", pair)) }
        terms.append(("rec", rec))
        if let gamma = configuration.supervised?.gamma { terms.append(("rank", gamma == 0 ? 0 : rank / Double(gamma))) }
        let total = topk + Double(settings.alpha) * pair + Double(settings.beta) * rec + rank
        let gradient = adaptor.backward(forward, outputGradient: dy, residualGradient: recGradient, preprocessed: x)
        return (LossTerms(terms: terms, total: total), gradient)
    }
}
