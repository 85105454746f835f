import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Slow recorders, shutdown and reload, against a real `expvasyml` process.
@Suite struct LifecycleTests {
    @Test(.timeLimit(.minutes(1))) func slowRecorderDelaysNeitherPollingNorTheOtherRecorder() async throws {
        let rig = try await ShippingRig(readers: 3)
        let proxy = try FaultProxy(upstreamPort: rig.osmem.port, rules: FaultProxy.Rules(latency: .seconds(5)))
        defer { proxy.stop() }
        try rig.writeConfiguration(
            elasticsearch: proxy.endpoint,
            extraRecorders: """
                  direct:
                    type: elasticsearch
                    endpoint: 127.0.0.1:\(rig.osmem.port)
                    index_name: direct
                    flush_interval: 200ms
                    spool_dir: \(rig.directory.appendingPathComponent("direct").path)
                """,
            extraRecorderNames: ["direct"])
        let shipment = try await rig.start()
        // Watch the direct index every 100 ms for 6 s: when did each document first show up?
        var firstSeen: [String: Date] = [:]
        var sources: [String: [String: Any]] = [:]
        let until = Date().addingTimeInterval(6)
        while Date() < until {
            let object = try await rig.osmem.json("/direct/_search?size=10000")
            let now = Date()
            for hit in (object["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? [] {
                guard let id = hit["_id"] as? String, firstSeen[id] == nil else { continue }
                firstSeen[id] = now
                sources[id] = hit["_source"] as? [String: Any]
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        shipment.process.signal(SIGTERM)
        _ = try await shipment.process.waitForExit(timeout: .seconds(15))
        let witnessed = try rig.witnessed()
        // Every document polled up to a second before the end was delivered directly within 1 s.
        let due = witnessed.filter { $0.value.timestamp < until.addingTimeInterval(-1.2) }
        let late = due.keys.filter { firstSeen[$0] == nil }
        #expect(due.count >= 60, "only \(due.count) polls in 5 s from 3 readers at 200 ms")
        #expect(late.isEmpty, "\(late.count) documents never reached the direct recorder in time")
        let delays = firstSeen.compactMap { id, seen in
            witnessed[id].map { seen.timeIntervalSince($0.timestamp) }
        }.sorted()
        let worstDelay = delays.last ?? .infinity
        #expect(worstDelay <= 1.0, "slowest direct delivery \(worstDelay) s")
        // Poll starts stay on their grid: |t_k − (origin + k·200 ms)| ≤ 50 ms for 95% of them (a
        // recorder holding polling up would also cost polls: `due.count` above). One stall of this
        // shared VM (0.1–0.5 s, seen in the benchmarks too) moves one or two starts, so the worst
        // is only reported; residuals wrap at the 200 ms grid anyway.
        var jitters: [Double] = []
        for reader in Set(witnessed.values.map(\.reader)) {
            let times = witnessed.values.filter { $0.reader == reader }.map(\.timestamp.timeIntervalSince1970).sorted()
            guard let first = times.first else { continue }
            let residuals = times.map { t -> Double in
                let k = ((t - first) / 0.2).rounded()
                return t - first - k * 0.2
            }
            let origin = residuals.sorted()[residuals.count / 2]
            jitters += residuals.map { abs($0 - origin) }
        }
        jitters.sort()
        let p95Jitter = jitters.isEmpty ? .infinity : jitters[jitters.count * 95 / 100]
        let worstJitter = jitters.last ?? .infinity
        #expect(p95Jitter <= 0.050, "poll start p95 off schedule by \(p95Jitter) s")
        print(
            "slow recorder: direct documents=\(firstSeen.count) worst delivery delay=\(String(format: "%.3f", worstDelay)) s"
                + " p50=\(String(format: "%.3f", delays.isEmpty ? 0 : delays[delays.count / 2])) s"
                + " poll-start jitter p95=\(String(format: "%.1f", p95Jitter * 1000)) ms"
                + " max=\(String(format: "%.1f", worstJitter * 1000)) ms")
    }

    @Test(.timeLimit(.minutes(1))) func sigtermFlushesOrSpoolsAndTheNextStartDelivers() async throws {
        let rig = try await ShippingRig(readers: 2)
        // Bulk requests take longer than the shutdown timeout: whatever is in flight must be spooled.
        let proxy = try FaultProxy(upstreamPort: rig.osmem.port, rules: FaultProxy.Rules(latency: .seconds(8)))
        defer { proxy.stop() }
        try rig.writeConfiguration(elasticsearch: proxy.endpoint)
        let first = try await rig.start()
        try await Task.sleep(for: .seconds(3))
        let stopping = Date()
        first.process.signal(SIGTERM)
        #expect(try await first.process.waitForExit(timeout: .seconds(8)) == 0)
        let shutdownSeconds = Date().timeIntervalSince(stopping)
        #expect(shutdownSeconds <= 6.5, "shutdown took \(shutdownSeconds) s with shutdown_timeout 5s")
        let witnessed = try rig.witnessed()
        let spoolFiles = try FileManager.default.contentsOfDirectory(atPath: rig.spoolDirectory)
        #expect(spoolFiles.contains { $0.hasSuffix(".spool") }, "nothing was spooled: \(spoolFiles)")
        // The next start (no latency now) delivers everything.
        proxy.setRules(FaultProxy.Rules())
        for program in rig.programs { program.stop() }
        let second = try await rig.start()
        try await eventually("spooled documents delivered", timeout: .seconds(20), interval: .milliseconds(300)) {
            let indexed = try await rig.indexed()
            return witnessed.keys.allSatisfy { indexed[$0] != nil }
        }
        second.process.signal(SIGTERM)
        #expect(try await second.process.waitForExit(timeout: .seconds(8)) == 0)
        print("SIGTERM: \(witnessed.count) documents polled, exit 0 after \(String(format: "%.2f", shutdownSeconds)) s")
    }

    @Test(.timeLimit(.minutes(1))) func sighupRestartsOnlyTheChangedReaderAndKeepsShippingOnBadConfig() async throws {
        let rig = try await ShippingRig(readers: 2)
        try rig.writeConfiguration()
        let shipment = try await rig.start()
        try await eventually("both readers polled", timeout: .seconds(10)) {
            let first = try await shipment.counter("readers", "app_0", "polls_ok")
            let second = try await shipment.counter("readers", "app_1", "polls_ok")
            return first > 2 && second > 2
        }
        try rig.writeConfiguration(intervals: ["app_1": "300ms"])
        shipment.process.signal(SIGHUP)
        _ = try await shipment.process.waitForStderr(containing: "engine started", timeout: .seconds(10))
        let afterReload = shipment.process.stderr
        #expect(afterReload.contains("engine stopped reader.name=app_1"))
        #expect(!afterReload.contains("reader.name=app_0"), "app_0 was restarted:\n\(afterReload)")
        #expect(!afterReload.contains("recorder stopped"), "a recorder was restarted:\n\(afterReload)")
        // A broken file: every problem is logged, the old configuration keeps shipping.
        try "readers:\n  app_0:\n    type: expvar\n    interval: 2\n".write(
            toFile: rig.configPath, atomically: true, encoding: .utf8)
        let before = try await shipment.counter("readers", "app_0", "polls_ok")
        shipment.process.signal(SIGHUP)
        _ = try await shipment.process.waitForStderr(containing: "previous configuration keeps running")
        #expect(shipment.process.stderr.contains("readers.app_0.interval"))
        try await eventually("polling goes on", timeout: .seconds(5)) {
            try await shipment.counter("readers", "app_0", "polls_ok") >= before + 5
        }
        shipment.process.signal(SIGTERM)
        #expect(try await shipment.process.waitForExit(timeout: .seconds(8)) == 0)
    }
}
