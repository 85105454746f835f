import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// Issue 14 at test scale: `expvasyml` follows a file_sd file of 100 targets while 10 % of them are
/// replaced. The change is applied within one refresh; the targets that stayed keep polling on
/// their grid without missing a slot; the removed ones stop and leave `/metrics` and `/healthz`.
@Suite struct FileDiscoveryRewriteTests {
    /// When each target's server saw a request (seconds since the test started).
    final class Arrivals: Sendable {
        let started = ContinuousClock.now
        private let times = Mutex<[Int: [Double]]>([:])

        func record(_ port: Int) {
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            times.withLock { $0[port, default: []].append(seconds) }
        }

        func of(_ port: Int) -> [Double] { times.withLock { $0[port] ?? [] } }
        var now: Double { (ContinuousClock.now - started) / .seconds(1) }
    }

    static func targetsFile(_ ports: [Int]) -> String {
        "[" + ports.map { #"{"targets": ["127.0.0.1:\#($0)"], "labels": {"port": "\#($0)"}}"# }.joined(separator: ",\n")
            + "]\n"
    }

    static func mentions(_ text: String, port: Int) -> Bool {
        text.contains("127.0.0.1:\(port)/") || text.contains("127.0.0.1:\(port)\"")
    }

    @Test(.timeLimit(.minutes(2))) func aTenPercentRewriteTouchesOnlyTheTargetsThatChanged() async throws {
        let arrivals = Arrivals()
        let servers = try (0..<110).map { _ in
            let port = Mutex<Int>(0)
            let server = try RawTCPServer { connection in
                while connection.readRequest() != nil {
                    arrivals.record(port.withLock { $0 })
                    let body = #"{"n":1,"memstats":{"Alloc":5}}"#
                    guard connection.write(RawTCPServer.response(text: body)) else { return }
                }
            }
            port.withLock { $0 = server.port }
            return server
        }
        defer { for server in servers { server.stop() } }
        let ports = servers.map(\.port)
        let before = Array(ports[0..<100])
        let after = Array(ports[10..<110])
        let removed = Array(ports[0..<10])
        let added = Array(ports[100..<110])
        let kept = Array(ports[10..<100])
        let interval = 0.5

        try await withTemporaryDirectory(prefix: "expvastic-rewrite") { directory in
            let targets = directory + "/targets.json"
            try Self.targetsFile(before).write(toFile: targets, atomically: true, encoding: .utf8)
            let monitoring = try FreePort.pick()
            try """
            settings:
              log_level: warn
              http:
                listen: 127.0.0.1:\(monitoring)
            readers:
              api:
                type: expvar
                type_name: api
                interval: 500ms
                targets:
                  - file: {paths: [\(targets)], refresh: 1s}
            recorders:
              out: {type: file, path: \(directory)/out.ndjson}
            routes:
              r: {readers: api, recorders: out}
            """.write(toFile: directory + "/expvastic.yml", atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", directory + "/expvastic.yml"])
            defer { process.stop() }
            try await eventually("every target polled 6 times", timeout: .seconds(30), interval: .milliseconds(100)) {
                before.allSatisfy { arrivals.of($0).count >= 6 }
            }
            // The rewrite: 10 targets out, 10 in (one atomic rename, as deploy tools do).
            let rewrite = arrivals.now
            try Self.targetsFile(after).write(toFile: targets, atomically: true, encoding: .utf8)
            try await eventually("the new targets polled", timeout: .seconds(20), interval: .milliseconds(50)) {
                added.allSatisfy { !arrivals.of($0).isEmpty }
            }
            let applied = added.map { arrivals.of($0)[0] }.max()! - rewrite
            try await Task.sleep(for: .seconds(3))
            let metrics = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(monitoring)/metrics")!).text
            let health = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(monitoring)/healthz")!).text
            let end = arrivals.now
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(20)) == 0, "stderr:\n\(process.stderr)")

            // Applied within one refresh (1 s) plus the first slot of the new targets (0.5 s),
            // with room for a loaded machine.
            print("file rewrite: new targets first polled \(applied) s after the rewrite")
            #expect(applied < 3.0)
            // Removed targets stop: at most a poll already under way after the change was seen.
            for port in removed {
                let late = arrivals.of(port).filter { $0 > rewrite + 1.0 + interval + 1.0 }
                #expect(late.isEmpty, "removed target :\(port) polled at \(late)")
            }
            // Targets that stayed never miss a slot (a gap of two intervals would) across the change.
            var worst = 0.0
            for port in kept {
                let times = arrivals.of(port)
                for (earlier, later) in zip(times, times.dropFirst()) { worst = max(worst, later - earlier) }
                #expect(times.last! > end - 2 * interval, "kept target :\(port) stopped")
            }
            print("file rewrite: worst gap between polls of a kept target \(worst) s (interval \(interval) s)")
            #expect(worst < 2 * interval)
            // Everything per target is released: the removed ones are gone from /metrics and
            // /healthz, the added ones are there.
            for port in removed {
                #expect(!Self.mentions(metrics, port: port), "removed :\(port) still in /metrics")
                #expect(!Self.mentions(health, port: port), "removed :\(port) still in /healthz")
            }
            for port in added {
                #expect(Self.mentions(metrics, port: port), "added :\(port) not in /metrics")
                #expect(Self.mentions(health, port: port), "added :\(port) not in /healthz")
            }
        }
    }
}
