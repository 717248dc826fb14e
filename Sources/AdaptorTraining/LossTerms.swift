/// Named loss values of one batch, in a fixed order, with the weighted total.
public struct LossTerms: Sendable {
    /// `(name, value)` of each term, unweighted.
    public var terms: [(name: String, value: Double)]
    /// The objective: the weighted sum of the terms.
    public var total: Double

    /// Terms and their total.
    public init(terms: [(name: String, value: Double)], total: Double) {
        self.terms = terms
        self.total = total
    }
}

/// Running means of loss terms between progress reports.
struct LossAccumulator {
    private var sums: [(name: String, value: Double)] = []
    private var count = 0

    mutating func add(_ terms: LossTerms) {
        let all = terms.terms + [("total", terms.total)]
        if sums.isEmpty { sums = all.map { ($0.name, 0) } }
        for i in sums.indices { sums[i].value += all[i].value }
        count += 1
    }

    mutating func takeMeans() -> [(name: String, value: Double)] {
        defer { sums = sums.map { ($0.name, 0) }; count = 0 }
        return sums.map { ($0.name, count > 0 ? $0.value / Double(count) : 0) }
    }
}
