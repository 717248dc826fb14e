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
