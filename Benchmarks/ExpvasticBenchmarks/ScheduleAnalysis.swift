/// How punctual polls were, from the times they started, without knowing the schedule's origin.
///
/// Expvastic polls each reader on a fixed grid `origin + k × interval` (monotonic), so per reader:
/// 1. sort its start times `t_i` and number them by grid step, `k_i = round((t_i − t_0) / interval)`;
/// 2. the residues `e_i = t_i − k_i × interval` would all equal the origin if every poll started on
///    time; a poll can start late but never early (it sleeps until its tick), so the origin
///    estimate is the smallest residue, `origin = min e_i`;
/// 3. each poll's jitter is `|t_i − (origin + k_i × interval)| = e_i − origin` (≥ 0).
///
/// Only polls whose grid tick lies in the measure window count; start times before the window
/// (warm-up) still sharpen the origin estimate. Delivered counts distinct ticks with a document,
/// expected counts the ticks of the window (`window / interval` per reader); a second document for
/// one tick is a duplicate. Times are in any unit (document `@timestamp`s are milliseconds,
/// truncated, so their jitter is quantised to 1 ms; fixture-server arrivals are microseconds).
struct ScheduleAnalysis: Equatable {
    /// Jitter of every counted poll, ascending.
    var jitter: [Int64]
    var delivered: Int
    var expected: Int
    var duplicates: Int
    var interval: Int64
    /// The first non-empty series' grid origin modulo the interval, in `0..<interval`: where in
    /// each interval that poller's ticks fall.
    var phase: Int64?

    init(starts: [[Int64]], interval: Int64, window: Range<Int64>) {
        precondition(interval > 0, "interval must be positive")
        var jitter: [Int64] = []
        var delivered = 0
        var expected = 0
        var duplicates = 0
        var phase: Int64?
        for series in starts {
            let sorted = series.sorted()
            guard let first = sorted.first else {
                expected += Int((window.upperBound - window.lowerBound) / interval)
                continue
            }
            let steps = sorted.map { ScheduleAnalysis.roundedDivision($0 - first, interval) }
            let residues = zip(sorted, steps).map { $0 - $1 * interval }
            let origin = residues.min() ?? first
            if phase == nil { phase = (origin % interval + interval) % interval }
            // Ticks origin + k × interval inside the window.
            let firstTick = ScheduleAnalysis.ceilingDivision(window.lowerBound - origin, interval)
            let endTick = ScheduleAnalysis.ceilingDivision(window.upperBound - origin, interval)
            expected += Int(endTick - firstTick)
            var seen = Set<Int64>()
            for (residue, step) in zip(residues, steps) where step >= firstTick && step < endTick {
                if seen.insert(step).inserted {
                    delivered += 1
                    jitter.append(residue - origin)
                } else {
                    duplicates += 1
                }
            }
        }
        self.jitter = jitter.sorted()
        self.delivered = delivered
        self.expected = expected
        self.duplicates = duplicates
        self.interval = interval
        self.phase = phase
    }

    /// How far apart this grid's ticks and `other`'s are (0 to half an interval), when both
    /// have one and the same interval: two pollers whose ticks coincide compete for the CPUs.
    func phaseGap(to other: ScheduleAnalysis) -> Int64? {
        guard let phase, let otherPhase = other.phase, interval == other.interval else { return nil }
        let difference = abs(phase - otherPhase)
        return min(difference, interval - difference)
    }

    /// Nearest-rank percentile (0 when there are no samples).
    func percentile(_ percent: Double) -> Int64 {
        guard !jitter.isEmpty else { return 0 }
        let rank = Int((percent / 100 * Double(jitter.count)).rounded(.up))
        return jitter[min(max(rank, 1), jitter.count) - 1]
    }

    static func roundedDivision(_ value: Int64, _ divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if 2 * remainder >= divisor { return quotient + 1 }
        if 2 * remainder < -divisor { return quotient - 1 }
        return quotient
    }

    static func ceilingDivision(_ value: Int64, _ divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder > 0 ? quotient + 1 : quotient
    }
}
