import AdaptorCommands
import ArgumentParser

/// Runs `body` `runs` times and returns the median wall time in seconds.
func medianSeconds(runs: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var times: [Double] = []
    for _ in 0 ..< max(runs, 1) {
        let elapsed = clock.measure(body)
        times.append(elapsed / .seconds(1))
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// What every scan benchmark takes: neighbours per query, timed runs and threads.
struct ScanOptions: ParsableArguments {
    @Option(help: "Neighbours per query.") var k: Int = 10
    @Option(help: "Timed runs (the median is reported).") var runs: Int = 5
    @OptionGroup var threadOptions: ThreadOptions
}
