import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A benchmark that runs real processes: the release `expvasyml` (and the Python reference) polling
/// the Go fixture server every second into its bulk sink (SPEC §9).
struct EndToEndBenchmark: Sendable {
    var name: String
    var run: @Sendable (EndToEndEnvironment) async throws -> [any ResultRow]

    /// `expvasyml` and, when python3 exists, the reference, each polling `endpoints` endpoints.
    static func polling(name: String, endpoints: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            let ours = try await environment.measure(name: name, endpoints: endpoints) { server, directory in
                let configuration = directory + "/expvastic.yml"
                try BenchmarkConfiguration.yaml(
                    targets: server.targets, sink: server.sink, spoolDirectory: directory + "/spool",
                    writeAheadLog: environment.context.writeAheadLog, gzip: environment.context.gzip
                ).write(toFile: configuration, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", configuration],
                    directory: directory, logFile: directory + "/expvasyml.log")
            }
            guard environment.context.reference else { return [ours] }
            guard let python = environment.python else {
                FileHandle.standardError.write(Data("\(name): python3 not found; the reference is skipped\n".utf8))
                return [ours]
            }
            let reference: EndToEndResult
            do {
                reference = try await environment.measure(name: name + "-reference", endpoints: endpoints) {
                    server, directory in
                    let targets = directory + "/targets.json"
                    let ports = server.ports.map(String.init).joined(separator: ",")
                    try "{\"ports\": [\(ports)], \"sink\": \"\(server.sink)\"}".write(
                        toFile: targets, atomically: true, encoding: .utf8)
                    return try ChildProcess(
                        name: "reference", executable: python,
                        arguments: [environment.context.packageRoot + "/Benchmarks/reference/reference.py", targets],
                        directory: directory, logFile: directory + "/reference.log")
                }
            } catch {
                FileHandle.standardError.write(Data("\(name)-reference: \(error)\n".utf8))
                return [ours]
            }
            var compared = ours
            if reference.cpuMicrosPerPoll > 0 {
                compared.extras.append(
                    ("cpu_per_poll_ratio_vs_reference", ours.cpuMicrosPerPoll / reference.cpuMicrosPerPoll))
            }
            if reference.peakRSSBytes > 0 {
                compared.extras.append(
                    ("peak_rss_ratio_vs_reference", Double(ours.peakRSSBytes) / Double(reference.peakRSSBytes)))
            }
            return [compared, reference]
        }
    }

    /// One job whose `endpoints` targets come from a file_sd file (discovery): poll-start jitter,
    /// CPU per poll, and RSS per target.
    static func discovery(name: String, endpoints: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            var result = try await environment.measure(name: name, endpoints: endpoints) { server, directory in
                let targets = directory + "/targets.json"
                try BenchmarkConfiguration.fileSD(targets: server.targets, indices: server.targets.indices).write(
                    toFile: targets, atomically: true, encoding: .utf8)
                let configuration = directory + "/expvastic.yml"
                try BenchmarkConfiguration.jobYAML(
                    targetsFile: targets, sink: server.sink, spoolDirectory: directory + "/spool"
                ).write(toFile: configuration, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", configuration],
                    directory: directory, logFile: directory + "/expvasyml.log")
            }
            result.extras.append(("peak_rss_kb_per_target", Double(result.peakRSSBytes) / 1024 / Double(endpoints)))
            result.extras.append(("cpu_us_per_poll", result.cpuMicrosPerPoll))
            return [result]
        }
    }

    /// Resident memory of `expvasyml -c expvastic.yml` (the shipped configuration) after 10 s.
    static func idle(name: String) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            let server = try FixtureServer(
                binary: environment.fixtureServer, endpoints: 0, fixture: environment.fixture)
            defer { server.stop() }
            let directory = try environment.temporaryDirectory(name)
            // The shipped file, except: the monitoring port is picked at run time (a fixed port may
            // be taken on a shared machine) and Elasticsearch is the benchmark sink.
            let shipped = try String(
                contentsOfFile: environment.context.packageRoot + "/expvastic.yml", encoding: .utf8)
            let configuration =
                shipped
                .replacingOccurrences(of: "listen: 127.0.0.1:9800", with: "listen: 127.0.0.1:0")
                .replacingOccurrences(of: "endpoint: 127.0.0.1:9200", with: "endpoint: \(server.sinkAddress)")
            try configuration.write(toFile: directory + "/expvastic.yml", atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", "expvastic.yml"],
                directory: directory, logFile: directory + "/expvasyml.log")
            let load = EndToEndResult.loadAverage()
            try await Task.sleep(for: .seconds(10))
            guard process.isRunning else {
                throw BenchmarkError(description: "expvasyml exited early; see \(directory)/expvasyml.log")
            }
            let result = IdleResult(
                name: name, rssBytes: process.status("VmRSS") ?? 0, peakRSSBytes: process.status("VmHWM") ?? 0,
                anonymousBytes: process.status("RssAnon") ?? 0, fileBytes: process.status("RssFile") ?? 0,
                cpuSeconds: process.cpuSeconds() ?? 0, loadAverage: load)
            let status = process.stop()
            if status != 0 {
                FileHandle.standardError.write(
                    Data("\(name): expvasyml exited with \(status.map(String.init) ?? "SIGKILL")\n".utf8))
            }
            environment.removeTemporary(directory)
            return [result]
        }
    }
}

/// One line of end-to-end output.
protocol ResultRow {
    var tableRow: String { get }
    var jsonLine: String { get }
}

extension EndToEndResult: ResultRow {}

/// Memory of an idle `expvasyml`.
struct IdleResult: ResultRow {
    var name: String
    var rssBytes: Int
    var peakRSSBytes: Int
    /// Private memory (`RssAnon`), and mapped files (`RssFile`: mostly shared library code and data,
    /// shared with every other Swift process).
    var anonymousBytes: Int
    var fileBytes: Int
    var cpuSeconds: Double
    var loadAverage: Double

    var tableRow: String {
        let f = Benchmarks.fmt
        return Benchmarks.pad(name, 22)
            + "RSS \(f(Double(rssBytes) / 1e6, 1)) MB after 10 s (peak \(f(Double(peakRSSBytes) / 1e6, 1)) MB; "
            + "anonymous \(f(Double(anonymousBytes) / 1e6, 1)) MB, files \(f(Double(fileBytes) / 1e6, 1)) MB), "
            + "CPU \(f(cpuSeconds, 2)) s, load \(f(loadAverage, 2))"
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        let mb = f(Double(rssBytes) / 1e6, 1)
        return "{\"name\": \"\(name)\", \"unit\": \"rss_mb\", \"median\": \(mb), \"min\": \(mb), \"max\": \(mb), "
            + "\"runs\": 1, \"peak_rss_mb\": \(f(Double(peakRSSBytes) / 1e6, 1)), "
            + "\"anon_rss_mb\": \(f(Double(anonymousBytes) / 1e6, 1)), \"file_rss_mb\": \(f(Double(fileBytes) / 1e6, 1)), "
            + "\"cpu_s\": \(f(cpuSeconds, 2)), "
            + "\"load_avg_1m\": \(f(loadAverage, 2))}"
    }
}
