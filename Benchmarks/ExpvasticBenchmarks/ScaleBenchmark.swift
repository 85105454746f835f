import Expvastic
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The 10,000-target runs of issues 14 and 19: one job whose targets come from a file_sd file,
/// polled every 10 s from endpoints that share ports by path (100 per port by default), measured
/// for at least 60 s.
extension EndToEndBenchmark {
    /// `e2e-10000` (`rewrite: false`) and `discovery-file-10000` (`rewrite: true`: after the window
    /// the file is rewritten with 10 % of the targets replaced, see ``FileRewrite``).
    static func scale(name: String, targets: Int, perPort: Int, intervalSeconds: Int, rewrite: Bool)
        -> EndToEndBenchmark
    {
        EndToEndBenchmark(name: name) { environment in
            let replaced = rewrite ? targets / 10 : 0
            let scale = EndToEndEnvironment.Scale(
                endpoints: targets + replaced, perPort: perPort, polled: targets,
                intervalMillis: Int64(intervalSeconds) * 1000,
                warmUpSeconds: max(environment.context.warmUpSeconds, intervalSeconds + 5),
                windowSeconds: max(environment.context.windowSeconds, 60))
            let refreshSeconds = 5
            let monitoring = rewrite ? try freePort() : nil
            let phase =
                rewrite
                ? FileRewrite(
                    targets: targets, replaced: replaced, refreshSeconds: refreshSeconds,
                    intervalSeconds: intervalSeconds, monitoringPort: monitoring!) : nil
            var result = try await environment.measure(name: name, scale: scale, afterWindow: phase) {
                server, directory in
                let file = directory + "/targets.json"
                phase?.file = file
                phase?.addresses = server.targets
                try BenchmarkConfiguration.fileSD(targets: server.targets, indices: 0..<targets).write(
                    toFile: file, atomically: true, encoding: .utf8)
                let configuration = directory + "/expvastic.yml"
                try BenchmarkConfiguration.jobYAML(
                    targetsFile: file, sink: server.sink, spoolDirectory: directory + "/spool",
                    interval: "\(intervalSeconds)s", refresh: "\(refreshSeconds)s",
                    monitoring: monitoring.map { "127.0.0.1:\($0)" } ?? ""
                ).write(toFile: configuration, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", configuration],
                    directory: directory, logFile: directory + "/expvasyml.log")
            }
            result.extras.append(("peak_rss_kb_per_target", Double(result.peakRSSBytes) / 1024 / Double(targets)))
            result.extras.append(("cpu_us_per_poll", result.cpuMicrosPerPoll))
            result.extras.append(("ports", Double((targets + replaced + perPort - 1) / perPort)))
            return [result]
        }
    }

    /// A free TCP port on 127.0.0.1 (bound to port 0 and closed again).
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchmarkError(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw BenchmarkError(description: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Issue 14's rewrite: every tenth target (`0, 10, 20, …`) leaves the file and as many new ones
/// (`targets…`) come in, in one atomic rename. Then, from the fixture server's GET arrival times:
/// - the removed targets' last poll and the new targets' first poll after the rename (a new
///   target's first poll waits for its slot on its grid, up to one interval after it started);
/// - the kept targets' slots across the change: missed slots (`ScheduleAnalysis` over the arrivals
///   from 3 intervals before the rename to the end) and how far each one's grid moved (its phase
///   before the rename against after it);
/// - from `/healthz` and `/metrics` (polled every 200 ms), when no removed target was left in
///   either, and when every new one was in both (a target enters them with its first poll).
final class FileRewrite: AfterWindow {
    let targets: Int
    let replaced: Int
    let refreshSeconds: Int
    let intervalSeconds: Int
    let monitoringPort: Int
    var file = ""
    var addresses: [String] = []
    private var rewriteMicros: Int64 = 0
    private var endMicros: Int64 = 0
    /// Seconds from the rename until no removed target was left in `/healthz` and `/metrics`, and
    /// until every new one was in both (after its first poll); nil: not within the bound.
    private var removedGoneSeconds: Double?
    private var addedPresentSeconds: Double?

    init(targets: Int, replaced: Int, refreshSeconds: Int, intervalSeconds: Int, monitoringPort: Int) {
        self.targets = targets
        self.replaced = replaced
        self.refreshSeconds = refreshSeconds
        self.intervalSeconds = intervalSeconds
        self.monitoringPort = monitoringPort
    }

    var removed: [Int] { (0..<replaced).map { $0 * 10 } }
    var added: [Int] { Array(targets..<(targets + replaced)) }
    var kept: [Int] { (0..<targets).filter { $0 % 10 != 0 || $0 / 10 >= replaced } }

    func run(server: FixtureServer, poller: ChildProcess, directory: String) async throws {
        let after = kept + added
        let text = BenchmarkConfiguration.fileSD(targets: addresses, indices: after.sorted())
        rewriteMicros = EndToEndEnvironment.wallMillis() * 1000
        let started = DispatchTime.now().uptimeNanoseconds
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let removedSet = Set(removed)
        let addedSet = Set(added)
        // Bounded: three refreshes plus two intervals.
        let limit = Double(3 * refreshSeconds + 2 * intervalSeconds)
        while elapsed() < limit, removedGoneSeconds == nil || addedPresentSeconds == nil {
            let health = FileRewrite.indices(in: try await get("/healthz"))
            let series = FileRewrite.indices(in: try await get("/metrics"))
            if removedGoneSeconds == nil, health.isDisjoint(with: removedSet), series.isDisjoint(with: removedSet) {
                removedGoneSeconds = elapsed()
            }
            if addedPresentSeconds == nil, addedSet.isSubset(of: health), addedSet.isSubset(of: series) {
                addedPresentSeconds = elapsed()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        // Two more intervals, so every kept target's grid after the change is seen twice.
        let until = Double(refreshSeconds + 2 * intervalSeconds + 2)
        if elapsed() < until { try await Task.sleep(for: .seconds(until - elapsed())) }
        endMicros = EndToEndEnvironment.wallMillis() * 1000
        try await Task.sleep(for: .seconds(2))
    }

    private func get(_ path: String) async throws -> [UInt8] {
        let endpoint = try Endpoint.parse("http://127.0.0.1:\(monitoringPort)").get()
        let response = try await DefaultTransport().send(
            HTTPRequest(endpoint: endpoint, path: path, timeout: .seconds(10), maxResponseBytes: 256 << 20))
        guard response.status == 200 || response.status == 503 else {
            throw BenchmarkError(description: "GET \(path): HTTP \(response.status)")
        }
        return response.body
    }

    /// Every `/t/<index>/debug/vars` in `text` (one scan; `contains` per target would be quadratic).
    static func indices(in text: [UInt8]) -> Set<Int> {
        let marker = Array("/t/".utf8)
        let tail = Array("/debug/vars".utf8)
        var found = Set<Int>()
        var at = 0
        while at + marker.count < text.count {
            guard text[at] == marker[0], text[at + 1] == marker[1], text[at + 2] == marker[2] else {
                at += 1
                continue
            }
            var end = at + 3
            var value = 0
            while end < text.count, text[end] >= 0x30, text[end] <= 0x39 {
                value = value * 10 + Int(text[end] - 0x30)
                end += 1
            }
            if end > at + 3, end + tail.count <= text.count, Array(text[end..<(end + tail.count)]) == tail {
                found.insert(value)
            }
            at = end
        }
        return found
    }

    func figures(_ report: FixtureServer.Report) -> [(key: String, value: Double)] {
        let interval = Int64(intervalSeconds) * 1_000_000
        let refresh = Int64(refreshSeconds) * 1_000_000
        func arrivals(_ index: Int) -> [Int64] { index < report.arrivals.count ? report.arrivals[index] : [] }
        var figures: [(key: String, value: Double)] = [
            ("rewrite_targets_removed", Double(removed.count)), ("rewrite_targets_added", Double(added.count)),
        ]
        // Removed: the last poll after the rename (one under way when the change was seen may finish).
        let lastRemoved = removed.compactMap { arrivals($0).last }.map { $0 - rewriteMicros }.max() ?? 0
        figures.append(("rewrite_removed_last_poll_s_after", Double(lastRemoved) / 1e6))
        let late = removed.reduce(0) { $0 + arrivals($1).filter { $0 > rewriteMicros + refresh + 1_000_000 }.count }
        figures.append(("rewrite_removed_polls_after_refresh_plus_1s", Double(late)))
        // Added: first poll after the rename.
        let firsts = added.map { arrivals($0).first }
        figures.append(("rewrite_added_never_polled", Double(firsts.filter { $0 == nil }.count)))
        let firstAdded = firsts.compactMap { $0 }.map { $0 - rewriteMicros }.max() ?? 0
        figures.append(("rewrite_added_first_poll_max_s_after", Double(firstAdded) / 1e6))
        // Kept: slots across the change, and grid phases before and after it.
        let window = (rewriteMicros - 3 * interval)..<(endMicros - interval)
        let keptSeries = kept.map { arrivals($0) }
        let slots = ScheduleAnalysis(starts: keptSeries, interval: interval, window: window)
        figures.append(("rewrite_kept_slots_expected", Double(slots.expected)))
        figures.append(("rewrite_kept_slots_missed", Double(slots.expected - slots.delivered)))
        figures.append(("rewrite_kept_arrival_jitter_p99_ms", Double(slots.percentile(99)) / 1000))
        figures.append(("rewrite_kept_arrival_jitter_max_ms", Double(slots.jitter.last ?? 0) / 1000))
        var worstShift: Int64 = 0
        for series in keptSeries {
            let before = series.filter { $0 < rewriteMicros }
            let after = series.filter { $0 > rewriteMicros + refresh }
            guard let reference = before.first, !after.isEmpty else { continue }
            // Residues on a grid through the first poll (polls start late, never early: the
            // smallest residue is the grid's origin).
            func origin(_ polls: [Int64]) -> Int64 {
                polls.map { $0 - ScheduleAnalysis.roundedDivision($0 - reference, interval) * interval }.min()!
            }
            worstShift = max(worstShift, abs(origin(after) - origin(before)))
        }
        figures.append(("rewrite_kept_grid_shift_max_ms", Double(worstShift) / 1000))
        figures.append(("rewrite_removed_gone_from_healthz_and_metrics_s", removedGoneSeconds ?? -1))
        figures.append(("rewrite_added_in_healthz_and_metrics_s", addedPresentSeconds ?? -1))
        figures.append(("rewrite_refresh_s", Double(refreshSeconds)))
        return figures
    }
}
