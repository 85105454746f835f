import Foundation

/// One end-to-end measurement: a poller (Expvastic or the reference) against the fixture server.
struct EndToEndResult {
    var name: String
    /// CPU seconds per 1,000 polls over each slice of the window (median, min, max, count).
    var cpuPerThousandPolls: [Double]
    /// CPU microseconds per poll over the whole window.
    var cpuMicrosPerPoll: Double
    var peakRSSBytes: Int
    /// Private resident memory at the end of the window (`RssAnon`; the rest of RSS is mapped files).
    var anonymousBytes: Int
    /// Poll-start jitter from documents' `@timestamp` (milliseconds).
    var documents: ScheduleAnalysis
    /// Jitter of GET arrivals at the fixture server (microseconds).
    var arrivals: ScheduleAnalysis
    /// CPU the fixture server (endpoints and sink) used, seconds per second of window.
    var fixtureCPUShare: Double
    var loadAverage: Double
    /// Extra figures (ratios against the reference).
    var extras: [(key: String, value: Double)] = []

    var sortedSlices: [Double] { cpuPerThousandPolls.sorted() }
    var median: Double { cpuPerThousandPolls.median }
    var deliveredRatio: Double {
        documents.expected == 0 ? 0 : Double(documents.delivered) / Double(documents.expected)
    }

    static let header =
        Benchmarks.pad("scenario", 22) + Benchmarks.pad("cpu s/1k polls med [min-max]", 30)
        + Benchmarks.pad("us/poll", 9)
        + Benchmarks.pad("peak/anon MB", 13) + Benchmarks.pad("jitter ms p50/p99/max", 23)
        + Benchmarks.pad("arrival us p50/p99", 20) + Benchmarks.pad("delivered/expected", 26) + "load"

    var tableRow: String {
        let f = Benchmarks.fmt
        var row =
            Benchmarks.pad(name, 22)
            + Benchmarks.pad(
                "\(f(median, 3)) [\(f(sortedSlices.first ?? 0, 3))-\(f(sortedSlices.last ?? 0, 3))]", 30)
            + Benchmarks.pad(f(cpuMicrosPerPoll, 1), 9)
            + Benchmarks.pad("\(f(Double(peakRSSBytes) / 1e6, 1))/\(f(Double(anonymousBytes) / 1e6, 1))", 13)
            + Benchmarks.pad(
                "\(documents.percentile(50))/\(documents.percentile(99))/\(documents.jitter.last ?? 0)", 23)
            + Benchmarks.pad("\(arrivals.percentile(50))/\(arrivals.percentile(99))", 20)
            + Benchmarks.pad("\(documents.delivered)/\(documents.expected) (\(f(deliveredRatio, 4)))", 26)
            + f(loadAverage, 2)
        for (key, value) in extras { row += "\n    \(key): \(f(value, 3))" }
        return row
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        var fields: [(String, String)] = [
            ("name", "\"\(name)\""), ("unit", "\"cpu_s_per_1000_polls\""), ("median", f(median, 4)),
            ("min", f(sortedSlices.first ?? 0, 4)), ("max", f(sortedSlices.last ?? 0, 4)),
            ("runs", "\(cpuPerThousandPolls.count)"), ("cpu_us_per_poll", f(cpuMicrosPerPoll, 1)),
            ("peak_rss_mb", f(Double(peakRSSBytes) / 1e6, 1)), ("anon_rss_mb", f(Double(anonymousBytes) / 1e6, 1)),
            ("jitter_p50_ms", "\(documents.percentile(50))"), ("jitter_p99_ms", "\(documents.percentile(99))"),
            ("jitter_max_ms", "\(documents.jitter.last ?? 0)"),
            ("arrival_jitter_p50_us", "\(arrivals.percentile(50))"),
            ("arrival_jitter_p99_us", "\(arrivals.percentile(99))"),
            ("delivered", "\(documents.delivered)"), ("expected", "\(documents.expected)"),
            ("duplicates", "\(documents.duplicates)"), ("delivered_ratio", f(deliveredRatio, 4)),
            // Ticks whose GET reached the fixture server: a tick missing here too was not polled
            // (skipped: the poll before it still ran); one missing only from `delivered` was
            // polled, and its document did not reach the sink in time.
            ("ticks_requested", "\(arrivals.delivered)"), ("ticks_requested_expected", "\(arrivals.expected)"),
            ("fixture_cpu_share", f(fixtureCPUShare, 3)), ("load_avg_1m", f(loadAverage, 2)),
        ]
        for (key, value) in extras { fields.append((key, f(value, 4))) }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// The 1-minute load average.
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return 0 }
        return Double(text.split(separator: " ").first ?? "") ?? 0
    }
}
