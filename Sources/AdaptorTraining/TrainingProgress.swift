/// A snapshot of a training run, reported to whoever displays progress.
public struct TrainingProgress: Sendable {
    /// Which stage is running (`unsupervised`, `supervised`, …).
    public var stage: String
    /// Iterations done.
    public var iteration: Int
    /// The iteration budget.
    public var totalIterations: Int
    /// The latest training loss terms by name (`topk`, `pair`, `rec`, …) and `total`, averaged since the
    /// last report.
    public var losses: [(name: String, value: Double)]
    /// The latest validation value (objective, or a metric where `validationIsMetric`), if any yet.
    public var validation: Double?
    /// The best validation value so far.
    public var bestValidation: Double?
    /// Whether the validation value is a metric to maximise (nDCG) rather than a loss.
    public var validationIsMetric: Bool
    /// Training speed.
    public var iterationsPerSecond: Double
    /// Estimated seconds to the iteration budget (an upper bound when early stopping ends sooner).
    public var secondsRemaining: Double

    /// One plain-text line: `stage it 300/5000 | topk 1.2 pair 3.4 rec 0.1 | val 4.5 (best 4.4) | 38 it/s | 2m03s left`.
    public var line: String {
        var parts = ["\(stage) it \(iteration)/\(totalIterations)"]
        parts.append(losses.map { "\($0.name) \(format($0.value))" }.joined(separator: " "))
        if let validation {
            parts.append("val \(format(validation))" + (bestValidation.map { " (best \(format($0)))" } ?? ""))
        }
        parts.append(String(Int(iterationsPerSecond.rounded())) + " it/s")
        let seconds = Int(secondsRemaining.rounded())
        parts.append(seconds >= 60 ? "\(seconds / 60)m\(seconds % 60 < 10 ? "0" : "")\(seconds % 60)s left" : "\(seconds)s left")
        return parts.joined(separator: " | ")
    }

    private func format(_ x: Double) -> String {
        let magnitude = abs(x)
        if magnitude >= 1000 { return String(Int(x.rounded())) }
        if magnitude >= 1 { return String((x * 100).rounded() / 100) }
        return String((x * 10000).rounded() / 10000)
    }
}

/// Items per second since `start`, and the seconds the remaining `total - done` items would take at that rate
/// (both 0 before any time has passed).
func progressRate(done: Int, total: Int, since start: ContinuousClock.Instant) -> (perSecond: Double, secondsLeft: Double) {
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    let rate = seconds > 0 ? Double(done) / seconds : 0
    return (rate, rate > 0 ? Double(total - done) / rate : 0)
}

/// `label done/total unit | rate unit/s | time left`, for transient status lines.
public func rateLine(_ label: String, done: Int, total: Int, unit: String, since start: ContinuousClock.Instant) -> String {
    let (rate, left) = progressRate(done: done, total: total, since: start)
    return "\(label) \(done)/\(total) \(unit) | \(Int(rate.rounded())) \(unit)/s | \(Int(left.rounded()))s left"
}
