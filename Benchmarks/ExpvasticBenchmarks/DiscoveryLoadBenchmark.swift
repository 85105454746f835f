import Foundation

/// What taking on N discovered targets costs `expvasyml` in CPU, apart from polling them: one job
/// polls every hour (so almost no polls happen while measuring) with its targets in a file_sd file
/// re-read every second.
///
/// 1. start with an empty file (`[]`) and wait until it is idle;
/// 2. write N targets: **load** = CPU used until idle again (the file read and parsed, the desired
///    state built, the reconciler's actions, N engines made and started);
/// 3. replace 10 % of them: **reconcile 10 %** (N/10 engines stopped, N/10 started, the rest kept);
/// 4. replace all of them, five times (to a new set and back, in turn): **reconcile 100 %** is the
///    median, and each of the five is reported. (Three were too few for a steady median on a machine
///    whose speed swings by about ±25 % between the replacements of one run.)
///
/// The process's CPU is read from its CPU clock (``ChildProcess/cpuSeconds()``). Each step waits
/// `settleSeconds`; the idle rate (the file re-read every second, N sleeping engines) is measured
/// before each step over the same time and subtracted.
struct DiscoveryLoadResult: ResultRow {
    var name: String
    var targets: Int
    var idleCPUPerSecond: Double
    var loadSeconds: Double
    var reconcileTenthSeconds: Double
    /// Each replacement of all targets; ``reconcileAllSeconds`` is their median.
    var reconcileAllRuns: [Double]
    var reconcileAllSeconds: Double { reconcileAllRuns.median }
    var residentBytes: Int
    var loadAverage: Double

    var tableRow: String {
        let f = Benchmarks.fmt
        return Benchmarks.pad(name, 22)
            + "load \(f(loadSeconds * 1000, 0)) ms CPU, reconcile 10 % \(f(reconcileTenthSeconds * 1000, 0)) ms, "
            + "100 % \(f(reconcileAllSeconds * 1000, 0)) ms (median of "
            + reconcileAllRuns.map { f($0 * 1000, 0) }.joined(separator: ", ")
            + "; \(targets) targets; idle \(f(idleCPUPerSecond * 1000, 1)) "
            + "ms CPU/s subtracted), RSS \(f(Double(residentBytes) / 1e6, 1)) MB, load \(f(loadAverage, 2))"
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        return "{\"name\": \"\(name)\", \"unit\": \"cpu_ms\", \"targets\": \(targets), "
            + "\"load_cpu_ms\": \(f(loadSeconds * 1000, 1)), \"reconcile_10_percent_cpu_ms\": "
            + "\(f(reconcileTenthSeconds * 1000, 1)), \"reconcile_100_percent_cpu_ms\": "
            + "\(f(reconcileAllSeconds * 1000, 1)), \"reconcile_100_percent_runs_cpu_ms\": ["
            + reconcileAllRuns.map { f($0 * 1000, 1) }.joined(separator: ", ")
            + "], \"idle_cpu_ms_per_s\": \(f(idleCPUPerSecond * 1000, 2)), "
            + "\"rss_mb\": \(f(Double(residentBytes) / 1e6, 1)), \"load_avg_1m\": \(f(loadAverage, 2))}"
    }
}

extension EndToEndBenchmark {
    static func discoveryLoad(name: String, targets: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            let settleSeconds = 4.0
            let server = try FixtureServer(
                binary: environment.fixtureServer, endpoints: 3 * targets, perPort: 100, fixture: environment.fixture)
            defer { server.stop() }
            let directory = try environment.temporaryDirectory(name)
            let file = directory + "/targets.json"
            try "[]\n".write(toFile: file, atomically: true, encoding: .utf8)
            let configuration = directory + "/expvastic.yml"
            try BenchmarkConfiguration.jobYAML(
                targetsFile: file, sink: server.sink, spoolDirectory: directory + "/spool", interval: "1h",
                refresh: "1s"
            ).write(toFile: configuration, atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", configuration],
                directory: directory, logFile: directory + "/expvasyml.log")
            defer { process.stop() }
            let load = EndToEndResult.loadAverage()
            func cpu() throws -> Double {
                guard process.isRunning, let seconds = process.cpuSeconds() else {
                    throw BenchmarkError(description: "expvasyml exited; see \(directory)/expvasyml.log")
                }
                return seconds
            }
            func settle() async throws { try await Task.sleep(for: .seconds(settleSeconds)) }
            /// CPU used by `step` and what follows it for `settleSeconds`, minus the idle rate
            /// measured just before over the same time.
            func measured(_ step: () throws -> Void) async throws -> (cost: Double, idle: Double) {
                let idleStart = try cpu()
                try await settle()
                let before = try cpu()
                let idle = (before - idleStart) / settleSeconds
                try step()
                try await settle()
                return (try cpu() - before - idle * settleSeconds, idle)
            }
            try await settle()
            let indices = Array(0..<targets)
            let loaded = try await measured {
                try BenchmarkConfiguration.fileSD(targets: server.targets, indices: indices).write(
                    toFile: file, atomically: true, encoding: .utf8)
            }
            let tenth = indices.map { $0 % 10 == 0 ? targets + $0 : $0 }
            let reconciledTenth = try await measured {
                try BenchmarkConfiguration.fileSD(targets: server.targets, indices: tenth).write(
                    toFile: file, atomically: true, encoding: .utf8)
            }
            // A whole new set, the first set back, and so on: each replaces every target.
            var reconciledAll: [(cost: Double, idle: Double)] = []
            for offset in [2 * targets, 0, 2 * targets, 0, 2 * targets] {
                reconciledAll.append(
                    try await measured {
                        try BenchmarkConfiguration.fileSD(targets: server.targets, indices: indices.map { offset + $0 })
                            .write(toFile: file, atomically: true, encoding: .utf8)
                    })
            }
            let resident = process.status("VmRSS") ?? 0
            environment.removeTemporary(directory)
            return [
                DiscoveryLoadResult(
                    name: name, targets: targets, idleCPUPerSecond: reconciledAll.last!.idle, loadSeconds: loaded.cost,
                    reconcileTenthSeconds: reconciledTenth.cost, reconcileAllRuns: reconciledAll.map(\.cost),
                    residentBytes: resident, loadAverage: load)
            ]
        }
    }
}
