import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What end-to-end benchmarks share: the binaries, the fixture, and the measuring loop.
final class EndToEndEnvironment: Sendable {
    let context: BenchmarkContext
    /// The release `expvasyml` next to this executable.
    let expvasyml: String
    let fixtureServer: String
    /// The 4 KB Go body every endpoint serves (with moving counters).
    let fixture: String
    let python: String?
    private let root: String

    init(context: BenchmarkContext) throws {
        self.context = context
        let products = EndToEndEnvironment.productsDirectory()
        expvasyml = context.expvasyml ?? products + "/expvasyml"
        guard FileManager.default.isExecutableFile(atPath: expvasyml) else {
            throw BenchmarkError(
                description: "\(expvasyml) not found; build it first: swift build -c release --product expvasyml")
        }
        if context.expvasyml == nil,
            let stale = EndToEndEnvironment.newerObject(than: expvasyml, in: products + "/Expvastic.build")
        {
            throw BenchmarkError(
                description:
                    "\(expvasyml) is older than \(stale); rebuild it: swift build -c release --product expvasyml")
        }
        fixtureServer = try FixtureServer.build(packageRoot: context.packageRoot, productsDirectory: products)
        fixture = context.fixtures + "/go-debug-vars-4k.json"
        guard FileManager.default.fileExists(atPath: fixture) else {
            throw BenchmarkError(
                description: "cannot read \(fixture) (run from the package root or pass --fixtures DIR)")
        }
        python = EndToEndEnvironment.pythonInterpreter()
        root = NSTemporaryDirectory() + "expvastic-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The real python3 interpreter (not a pyenv shim, so `/proc/<pid>` is the interpreter's), if any.
    static func pythonInterpreter() -> String? {
        let finder = Process()
        let output = Pipe()
        finder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        finder.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        finder.standardOutput = output
        finder.standardError = FileHandle.nullDevice
        guard (try? finder.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        finder.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return finder.terminationStatus == 0 && FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The build products directory: where this executable lives.
    static func productsDirectory() -> String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }

    /// An object file of the library newer than `binary` (the binary is stale), if any.
    static func newerObject(than binary: String, in directory: String) -> String? {
        let manager = FileManager.default
        guard let built = (try? manager.attributesOfItem(atPath: binary))?[.modificationDate] as? Date,
            let names = try? manager.contentsOfDirectory(atPath: directory)
        else { return nil }
        for name in names where name.hasSuffix(".o") {
            let path = directory + "/" + name
            if let date = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                date > built.addingTimeInterval(1)
            {
                return path
            }
        }
        return nil
    }

    func temporaryDirectory(_ name: String) throws -> String {
        let directory = root + "/" + name
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    func removeTemporary(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    static let slices = 5

    /// How a measurement counts polls.
    enum PollCount: Sendable {
        /// Documents in the sink whose `@timestamp` lies in the slice (one document per poll).
        case documents
        /// GETs that reached the fixture's endpoints in the slice (pollers that do not write to
        /// the sink, or write several documents per poll).
        case arrivals
    }

    /// Starts a fixture server with `endpoints` endpoints and the poller `start` returns, waits the
    /// warm-up, then measures for the window (CPU in `slices` slices), waits for the last bulk
    /// requests, and reads the sink's report. `intervalMillis` is the pollers' interval (for the
    /// jitter analysis); `fixture` replaces the 4 KB expvar body and `serverArguments` are added
    /// to the fixture server's (`-content-type`).
    func measure(
        name: String, endpoints: Int, intervalMillis: Int = 1000, pollCount: PollCount = .documents,
        fixture: String? = nil, serverArguments: [String] = [],
        start: (FixtureServer, String) throws -> ChildProcess
    ) async throws -> EndToEndResult {
        var scale = Scale(endpoints: endpoints)
        scale.intervalMillis = Int64(intervalMillis)
        scale.pollCount = pollCount
        scale.fixture = fixture
        scale.serverArguments = serverArguments
        return try await measure(name: name, scale: scale, start: start)
    }

    /// The shape of one end-to-end run.
    struct Scale {
        /// Endpoints the fixture server serves.
        var endpoints: Int
        /// Endpoints per port (more than 1: each on its own path).
        var perPort = 1
        /// Endpoints `0..<polled` are polled during the window (the rest may come later).
        var polled: Int?
        /// The poll interval, milliseconds.
        var intervalMillis: Int64 = 1000
        /// Override the context's `--warmup` / `--window` (seconds).
        var warmUpSeconds: Int?
        var windowSeconds: Int?
        var pollCount = PollCount.documents
        /// Replaces the 4 KB expvar body.
        var fixture: String?
        /// Added to the fixture server's arguments (`-content-type`).
        var serverArguments: [String] = []
    }

    func measure(
        name: String, scale: Scale, afterWindow: AfterWindow? = nil,
        start: (FixtureServer, String) throws -> ChildProcess
    ) async throws -> EndToEndResult {
        let endpoints = scale.polled ?? scale.endpoints
        let warmUpSeconds = scale.warmUpSeconds ?? context.warmUpSeconds
        let windowSeconds = scale.windowSeconds ?? context.windowSeconds
        let server = try FixtureServer(
            binary: fixtureServer, endpoints: scale.endpoints, perPort: scale.perPort,
            fixture: scale.fixture ?? fixture, arguments: scale.serverArguments)
        defer { server.stop() }
        let directory = try temporaryDirectory(name)
        let poller = try start(server, directory)
        defer { poller.stop() }
        let load = EndToEndResult.loadAverage()
        try await Task.sleep(for: .seconds(warmUpSeconds))
        guard poller.isRunning else {
            throw BenchmarkError(description: "\(poller.name) exited during warm-up; see \(directory)")
        }
        let sliceSeconds = Double(windowSeconds) / Double(EndToEndEnvironment.slices)
        var wallMillis: [Int64] = [EndToEndEnvironment.wallMillis()]
        var cpu: [Double] = [poller.cpuSeconds() ?? 0]
        let fixtureCPUStart = server.process.cpuSeconds() ?? 0
        let switchesStart = poller.contextSwitches() ?? (0, 0)
        let startMonotonic = DispatchTime.now().uptimeNanoseconds
        for slice in 1...EndToEndEnvironment.slices {
            let due = startMonotonic + UInt64(Double(slice) * sliceSeconds * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            // Task.sleep, not usleep: measurements of peers run side by side on the cooperative pool.
            if due > now { try await Task.sleep(nanoseconds: due - now) }
            wallMillis.append(EndToEndEnvironment.wallMillis())
            cpu.append(poller.cpuSeconds() ?? cpu.last ?? 0)
        }
        let fixtureCPU = (server.process.cpuSeconds() ?? 0) - fixtureCPUStart
        let switchesEnd = poller.contextSwitches() ?? switchesStart
        let voluntarySwitches = switchesEnd.voluntary - switchesStart.voluntary
        let involuntarySwitches = switchesEnd.involuntary - switchesStart.involuntary
        let peak = poller.status("VmHWM") ?? 0
        let resident = poller.status("VmRSS") ?? 0
        let anonymous = poller.status("RssAnon") ?? 0
        // Documents polled at the end of the window reach the sink after the flush interval (1 s).
        try await Task.sleep(for: .seconds(3))
        try await afterWindow?.run(server: server, poller: poller, directory: directory)
        let report = try await server.report()
        let stopped = poller.stop()
        if stopped != 0 {
            FileHandle.standardError.write(
                Data("\(name): \(poller.name) exited with \(stopped.map(String.init) ?? "SIGKILL")\n".utf8))
        }
        if report.badLines > 0 {
            FileHandle.standardError.write(Data("\(name): the sink could not read \(report.badLines) documents\n".utf8))
        }
        reportLog(directory + "/expvasyml.log", name: name)
        reportLog(directory + "/reference.log", name: name)
        let series = (0..<endpoints).map { report.timestamps["app_\($0)"] ?? [] }
        let window = wallMillis[0]..<wallMillis[wallMillis.count - 1]
        let documents = ScheduleAnalysis(starts: series, interval: scale.intervalMillis, window: window)
        let arrivals = ScheduleAnalysis(
            starts: Array(report.arrivals.prefix(endpoints)), interval: scale.intervalMillis * 1000,
            window: (window.lowerBound * 1000)..<(window.upperBound * 1000))
        // CPU per 1,000 polls in each slice, polls being the documents whose poll started in it.
        var perSlice: [Double] = []
        var totalPolls = 0
        for slice in 0..<EndToEndEnvironment.slices {
            let range = wallMillis[slice]..<wallMillis[slice + 1]
            let polls: Int
            switch scale.pollCount {
            case .documents: polls = series.reduce(0) { $0 + $1.filter { range.contains($0) }.count }
            case .arrivals:
                let micros = (range.lowerBound * 1000)..<(range.upperBound * 1000)
                polls = report.arrivals.reduce(0) { $0 + $1.filter { micros.contains($0) }.count }
            }
            totalPolls += polls
            if polls > 0 { perSlice.append((cpu[slice + 1] - cpu[slice]) / Double(polls) * 1000) }
        }
        let totalCPU = cpu[cpu.count - 1] - cpu[0]
        removeTemporary(directory)
        var result = EndToEndResult(
            name: name, cpuPerThousandPolls: perSlice,
            cpuMicrosPerPoll: totalPolls > 0 ? totalCPU / Double(totalPolls) * 1e6 : 0, peakRSSBytes: peak,
            anonymousBytes: anonymous,
            documents: documents, arrivals: arrivals,
            fixtureCPUShare: fixtureCPU / Double(windowSeconds), loadAverage: load)
        if totalPolls > 0 {
            let polls = Double(totalPolls)
            result.extras.append(("context_switches_per_poll", Double(voluntarySwitches + involuntarySwitches) / polls))
            // Of those, the preemptions (the machine's other work, not the poller's wake-ups).
            result.extras.append(("involuntary_switches_per_poll", Double(involuntarySwitches) / polls))
        }
        result.extras.append(("rss_mb_end_of_window", Double(resident) / 1e6))
        result.extras.append(("cpu_percent_of_one_core", totalCPU / Double(windowSeconds) * 100))
        if let afterWindow { result.extras += afterWindow.figures(report) }
        return result
    }

    /// Shows the warnings and errors a poller logged (the configuration logs at warn), and keeps the
    /// whole log next to the temporary directories.
    private func reportLog(_ path: String, name: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return }
        let kept = NSTemporaryDirectory() + "expvastic-bench-\(name)-\((path as NSString).lastPathComponent)"
        try? FileManager.default.removeItem(atPath: kept)
        try? FileManager.default.copyItem(atPath: path, toPath: kept)
        let lines = text.split(separator: "\n")
        let shown = lines.prefix(5).joined(separator: "\n")
        FileHandle.standardError.write(
            Data("\(name): \(lines.count) log lines (all in \(kept)), first ones:\n\(shown)\n".utf8))
    }

    static func wallMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Work after the measured window, before the sink's report is read (a file rewrite), and the
/// figures it reads from that report.
protocol AfterWindow: AnyObject {
    func run(server: FixtureServer, poller: ChildProcess, directory: String) async throws
    func figures(_ report: FixtureServer.Report) -> [(key: String, value: Double)]
}
