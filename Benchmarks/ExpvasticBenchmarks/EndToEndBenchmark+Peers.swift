import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// End-to-end benchmarks that run `expvasyml` and a peer at the same time, each against its own
/// fixture server: the same targets, the same interval (the Go reference's 1 ms shorter, see
/// ``perPoll(name:readers:intervalMillis:)``), the same machine in the same seconds, so their
/// ratio holds even when this shared machine's speed drifts.
extension EndToEndBenchmark {
    /// `readers` readers polling every `intervalMillis` beside the Go reference poller
    /// (`Benchmarks/go-reference`: GET, `encoding/json` decode and encode on a `time.Ticker`,
    /// bulk to the sink): CPU and context switches per poll of each.
    ///
    /// The reference ticks every `intervalMillis − 1` ms. Two pollers on one interval keep one
    /// phase for a whole run, and a run whose two grids fell within ~2 ms of each other
    /// (`tick_gap_ms_vs_go`) had both polling at once on the two vCPUs: `expvasyml` was
    /// preempted 1.3–1.8 times per poll instead of ~0.7. With 1 ms between the intervals the
    /// grids slide 1 ms a tick: at `poll-1` one full turn every 20 ticks, so every run sees every
    /// phase, as pollers with unrelated schedules on one host do (a 25 s window covers 125 of
    /// `poll-10`'s 200 ms and 12 of `poll-100`'s 2,000). Polling a little more often spreads the
    /// reference's fixed costs over more polls: if anything, in its favour.
    static func perPoll(name: String, readers: Int, intervalMillis: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            let goReference = try GoReference.build(environment: environment)
            async let ours = environment.measure(name: name, endpoints: readers, intervalMillis: intervalMillis) {
                server, directory in
                try Self.startExpvasyml(
                    environment, server: server, directory: directory, interval: "\(intervalMillis)ms", type: "expvar")
            }
            let referenceMillis = intervalMillis - 1
            async let go = environment.measure(
                name: name + "-go", endpoints: readers, intervalMillis: referenceMillis
            ) { server, directory in
                let targets = directory + "/targets.json"
                try PeerConfiguration.targets(ports: server.ports, sink: server.sink).write(
                    toFile: targets, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "go-reference", executable: goReference,
                    arguments: ["-targets", targets, "-interval", "\(referenceMillis)ms"], directory: directory,
                    logFile: directory + "/reference.log")
            }
            return Self.compared(try await ours, with: [("go", try await go)])
        }
    }

    /// `e2e-1000` with collectd (`curl_json`, network plugin) polling the same number of
    /// endpoints at the same time, then the Python reference alone (as in ``polling(name:endpoints:)``).
    /// `row` names our row (the peers' rows add `-collectd` and `-reference`).
    static func pollingBesideCollectd(name: String, row: String, endpoints: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            guard let collectd = Self.executable("collectd", in: ["/usr/sbin", "/usr/bin"]) else {
                throw BenchmarkError(
                    description: "collectd not found: apt-get install collectd-core libyajl2 (or run \(name)-alone)")
            }
            let drain = try UDPDrain()
            defer { drain.close() }
            let udpPort = drain.port
            async let ours = environment.measure(name: row, endpoints: endpoints) { server, directory in
                try Self.startExpvasyml(
                    environment, server: server, directory: directory, interval: "1s", type: "expvar")
            }
            async let peer = environment.measure(name: row + "-collectd", endpoints: endpoints, pollCount: .arrivals) {
                server, directory in
                let configuration = directory + "/collectd.conf"
                try PeerConfiguration.collectd(
                    ports: server.ports, intervalSeconds: 1, directory: directory, udpPort: udpPort
                ).write(toFile: configuration, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "collectd", executable: collectd, arguments: ["-f", "-C", configuration],
                    directory: directory, logFile: directory + "/reference.log")
            }
            var rows = Self.compared(try await ours, with: [("collectd", try await peer)])
            if environment.context.reference, let python = environment.referenceRows(name: row, endpoints: endpoints) {
                rows += try await python()
            }
            return rows
        }
    }

    /// `endpoints` Prometheus targets (the client_golang body of a small Go service) scraped by
    /// Expvastic's Prometheus reader and by Prometheus 2.42 at the same time: CPU per scrape
    /// (scrapes counted as requests that reached the endpoints) and RSS of each.
    static func prometheusBesidePrometheus(name: String, endpoints: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            guard let prometheus = Self.executable("prometheus", in: ["/usr/bin", "/usr/local/bin"]) else {
                throw BenchmarkError(description: "prometheus not found: apt-get install prometheus")
            }
            let body = environment.context.fixtures + "/client-golang-1.14.prom"
            let text = ["-content-type", "text/plain; version=0.0.4; charset=utf-8"]
            async let ours = environment.measure(
                name: name, endpoints: endpoints, pollCount: .arrivals, fixture: body, serverArguments: text
            ) { server, directory in
                try Self.startExpvasyml(
                    environment, server: server, directory: directory, interval: "1s", type: "prometheus")
            }
            async let peer = environment.measure(
                name: name + "-prometheus", endpoints: endpoints, pollCount: .arrivals, fixture: body,
                serverArguments: text
            ) { server, directory in
                let configuration = directory + "/prometheus.yml"
                try PeerConfiguration.prometheus(ports: server.ports, interval: "1s").write(
                    toFile: configuration, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "prometheus", executable: prometheus,
                    arguments: [
                        "--config.file=" + configuration, "--storage.tsdb.path=" + directory + "/data",
                        // Port 0: the kernel picks it as Prometheus binds. A port picked
                        // beforehand can meanwhile be taken by one of the 2,000 connections both
                        // pollers open (most likely what ended two runs in a row with
                        // "prometheus exited during warm-up").
                        "--web.listen-address=127.0.0.1:0", "--log.level=warn",
                    ],
                    directory: directory, logFile: directory + "/reference.log")
            }
            return Self.compared(try await ours, with: [("prometheus", try await peer)])
        }
    }

    private static func startExpvasyml(
        _ environment: EndToEndEnvironment, server: FixtureServer, directory: String, interval: String, type: String
    ) throws -> ChildProcess {
        let configuration = directory + "/expvastic.yml"
        try BenchmarkConfiguration.yaml(
            targets: server.targets, sink: server.sink, spoolDirectory: directory + "/spool",
            writeAheadLog: environment.context.writeAheadLog, gzip: environment.context.gzip, interval: interval,
            type: type
        ).write(toFile: configuration, atomically: true, encoding: .utf8)
        return try ChildProcess(
            name: "expvasyml", executable: environment.expvasyml, arguments: ["-c", configuration],
            directory: directory, logFile: directory + "/expvasyml.log")
    }

    /// Ours first, with its CPU-per-poll, context-switch and RSS ratios against each peer, then the peers.
    private static func compared(_ ours: EndToEndResult, with peers: [(String, EndToEndResult)]) -> [any ResultRow] {
        var row = ours
        for (peer, result) in peers {
            if result.cpuMicrosPerPoll > 0 {
                row.extras.append(("cpu_per_poll_ratio_vs_\(peer)", ours.cpuMicrosPerPoll / result.cpuMicrosPerPoll))
            }
            if result.peakRSSBytes > 0 {
                row.extras.append(
                    ("peak_rss_ratio_vs_\(peer)", Double(ours.peakRSSBytes) / Double(result.peakRSSBytes)))
            }
            if let gap = ours.arrivals.phaseGap(to: result.arrivals) {
                row.extras.append(("tick_gap_ms_vs_\(peer)", Double(gap) / 1000))
            }
        }
        return [row] + peers.map { $0.1 }
    }

    static func executable(_ name: String, in directories: [String]) -> String? {
        directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension EndToEndEnvironment {
    /// The Python reference alone on `endpoints` endpoints (nil without python3).
    func referenceRows(name: String, endpoints: Int) -> (() async throws -> [any ResultRow])? {
        guard let python else { return nil }
        return {
            let reference = try await self.measure(name: name + "-reference", endpoints: endpoints) {
                server, directory in
                let targets = directory + "/targets.json"
                try PeerConfiguration.targets(ports: server.ports, sink: server.sink).write(
                    toFile: targets, atomically: true, encoding: .utf8)
                return try ChildProcess(
                    name: "reference", executable: python,
                    arguments: [self.context.packageRoot + "/Benchmarks/reference/reference.py", targets],
                    directory: directory, logFile: directory + "/reference.log")
            }
            return [reference]
        }
    }
}

/// `Benchmarks/go-reference`, built into the products directory like the fixture server.
enum GoReference {
    static func build(environment: EndToEndEnvironment) throws -> String {
        try GoProgram.build(
            source: environment.context.packageRoot + "/Benchmarks/go-reference",
            binary: EndToEndEnvironment.productsDirectory() + "/expvastic-go-reference")
    }
}

/// A UDP socket on 127.0.0.1 that nobody reads: where collectd's network plugin sends its values
/// (nothing listening would answer each packet with an ICMP error instead).
final class UDPDrain {
    let port: Int
    private let descriptor: Int32

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchmarkError(description: "cannot open a UDP socket") }
        port = try LoopbackPort.bindAny(descriptor)
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// Ports the kernel picks on 127.0.0.1.
enum LoopbackPort {
    /// Binds `descriptor` to 127.0.0.1 port 0 and returns the port the kernel chose.
    static func bindAny(_ descriptor: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchmarkError(description: "cannot bind 127.0.0.1:0") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
