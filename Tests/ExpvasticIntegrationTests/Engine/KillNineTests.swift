import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// `kill -9` at random moments, while shipping and during an outage and its replay: every
/// document the shipper produced is indexed exactly once (issue 16, the write-ahead log).
@Suite struct KillNineTests {
    /// When each of the 20 kills happens, and what the cluster does meanwhile.
    enum Phase: String {
        /// The cluster answers.
        case shipping
        /// Every request is answered 503 (osmem-server keeps its documents only in memory, so the
        /// outage is the proxy's, not a stopped server's): documents go to the spool.
        case outage
        /// The cluster answers again and the spool is replayed (slowly: 10 documents per batch).
        case replay
    }

    @Test(.timeLimit(.minutes(2))) func killedAtTwentyRandomMomentsEveryPolledDocumentIsIndexedOnce() async throws {
        let rig = try await ShippingRig(readers: 2)
        let proxy = try FaultProxy(upstreamPort: rig.osmem.port)
        try rig.writeConfiguration(
            interval: "100ms", elasticsearch: proxy.endpoint,
            elasticsearchKeys: ["bulk_max_docs": "10"])
        var random = SplitMix64(seed: 16_002)
        let phases: [Phase] =
            Array(repeating: .shipping, count: 8) + Array(repeating: .outage, count: 6)
            + Array(repeating: .replay, count: 6)
        var kills: [(phase: Phase, afterMillis: Int)] = []
        var handedOver = 0
        let started = ContinuousClock.now
        for phase in phases {
            switch phase {
            case .shipping, .replay:
                proxy.setRules(FaultProxy.Rules())
            case .outage:
                proxy.setRules(FaultProxy.Rules(request: { _ in .status(503, retryAfter: nil) }))
            }
            let shipment = try await rig.start()
            // 150 ms to 1.2 s after the monitoring port is up: flushes (200 ms), replay batches
            // (100 ms apart) and polls (100 ms) all fall somewhere in that window.
            let millis = 150 + Int(random.next() % 1050)
            try await Task.sleep(for: .milliseconds(millis))
            shipment.process.signal(SIGKILL)
            _ = try await shipment.process.waitForExit(timeout: .seconds(5))
            if shipment.process.stderr.contains("write-ahead log of the previous run") { handedOver += 1 }
            kills.append((phase, millis))
        }
        let killing = ContinuousClock.now - started

        proxy.setRules(FaultProxy.Rules())
        let last = try await rig.start()
        for program in rig.programs { program.stop() }
        let witnessed = try Self.witnessed(rig.witnessPath)
        // On a timeout the expectations below report what is missing.
        try? await eventually("every witnessed document indexed", timeout: .seconds(20), interval: .milliseconds(300)) {
            let indexed = try await rig.indexed()
            return witnessed.allSatisfy { indexed[$0] != nil }
        }
        last.process.signal(SIGTERM)
        #expect(try await last.process.waitForExit(timeout: .seconds(10)) == 0)

        let indexed = try await rig.indexed()
        let missing = witnessed.filter { indexed[$0] == nil }
        let createdTwice = proxy.createdIDs.filter { $0.value > 1 }
        let forwarded = proxy.forwardedIDs.values.reduce(0, +)
        #expect(witnessed.count > 100, "too few documents to show anything: \(witnessed.count)")
        #expect(missing.isEmpty, "\(missing.count) polled documents never indexed, e.g. \(missing.prefix(5))")
        #expect(createdTwice.isEmpty, "documents stored twice: \(createdTwice.prefix(5))")
        #expect(handedOver > 0, "no start found a write-ahead log to hand to the spool")
        let byPhase = Dictionary(grouping: kills, by: \.phase).mapValues(\.count)
        print(
            "kill -9: kills=\(kills.count) (shipping \(byPhase[.shipping] ?? 0), outage \(byPhase[.outage] ?? 0), "
                + "replay \(byPhase[.replay] ?? 0)) in \(killing) polled=\(witnessed.count) indexed=\(indexed.count) "
                + "missing=\(missing.count) created_twice=\(createdTwice.count) items_forwarded=\(forwarded) "
                + "(re-sent, answered 409: \(forwarded - proxy.createdIDs.count)) starts_replaying_a_wal=\(handedOver)"
        )
    }

    /// The `_id`s in the witness file. A `kill -9` can cut its last line short and the next run
    /// appends after it, so a line that does not parse is skipped (with the document it belonged to).
    static func witnessed(_ path: String) throws -> Set<String> {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var ids = Set<String>()
        let lines = text.split(separator: "\n")
        var index = 0
        while index + 1 < lines.count {
            let action = try? JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as? [String: Any]
            let source = try? JSONSerialization.jsonObject(with: Data(lines[index + 1].utf8)) as? [String: Any]
            if let id = (action?["create"] as? [String: Any])?["_id"] as? String, source?["@timestamp"] != nil {
                ids.insert(id)
                index += 2
            } else {
                index += 1
            }
        }
        return ids
    }
}
