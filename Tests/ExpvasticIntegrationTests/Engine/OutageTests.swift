import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The "loses no data" promise against real processes: Go programs polled every 200 ms into
/// osmem-server, which goes away for 20 s and comes back fresh and empty.
@Suite struct OutageTests {
    /// Waits until the summed `polls_ok` stops moving (the Go programs were stopped).
    func settledPolls(_ shipment: Shipment, readers: Int) async throws -> Int {
        var last = -1
        return try await eventuallyValue("polls to settle", timeout: .seconds(15), interval: .milliseconds(600)) {
            let now = try await shipment.pollsOK(readers: readers)
            defer { last = now }
            return now == last ? now : nil
        }
    }

    /// Every witnessed document polled since `since` is in the index; nothing is there twice.
    /// Every indexed document is witnessed, except, when the shipper was killed with `kill -9` at
    /// `killed`, documents polled before it: the witness is a file recorder, which loses what its
    /// queue held at the kill, where the Elasticsearch recorder's write-ahead log keeps it.
    func expectDelivered(
        _ rig: ShippingRig, since: Date, timeout: Duration, killed: Date? = nil
    ) async throws -> (Int, Int) {
        var missing: [String] = []
        try await eventually("delivery", timeout: timeout, interval: .milliseconds(500)) {
            let witnessed = try rig.witnessed().filter { $0.value.timestamp >= since }
            let indexed = try await rig.indexed()
            missing = witnessed.keys.filter { indexed[$0] == nil }
            return missing.isEmpty
        }
        let indexed = try await rig.indexed()
        let witnessed = try rig.witnessed()
        let unwitnessed = indexed.filter { witnessed[$0.key] == nil }.map { WitnessedDocument(source: $0.value) }
        if let killed {
            let late = unwitnessed.filter { $0.timestamp >= killed }
            #expect(late.isEmpty, "documents polled after the kill are indexed but not witnessed: \(late.count)")
        } else {
            #expect(unwitnessed.isEmpty, "documents nobody polled were indexed: \(unwitnessed.count)")
        }
        // Exactly once: one document per (reader, requests) pair, so no duplicate under another id.
        let pairs = indexed.values.map { "\($0["reader"] ?? "")#\($0["requests"] ?? "")" }
        #expect(Set(pairs).count == pairs.count, "a poll was indexed twice")
        #expect(try await rig.osmem.count(index: rig.index) == indexed.count)
        return (witnessed.filter { $0.value.timestamp >= since }.count, indexed.count)
    }

    @Test(.timeLimit(.minutes(2))) func twentySecondOutageLosesAndDuplicatesNothing() async throws {
        let rig = try await ShippingRig(readers: 3)
        try rig.writeConfiguration()
        let shipment = try await rig.start()
        try await eventually("first documents", timeout: .seconds(15)) {
            try await rig.osmem.count(index: rig.index) >= 15
        }
        let outage = Date()
        rig.osmem.stop()
        try await Task.sleep(for: .seconds(20))
        let spooled = try await shipment.counter("recorders", "es", "docs_spooled")
        try await rig.osmem.start()
        try await Task.sleep(for: .seconds(2))
        for program in rig.programs { program.stop() }
        let polled = try await settledPolls(shipment, readers: 3)
        let (expected, indexed) = try await expectDelivered(rig, since: outage, timeout: .seconds(45))
        shipment.process.signal(SIGTERM)
        #expect(try await shipment.process.waitForExit(timeout: .seconds(10)) == 0)
        #expect(try rig.witnessed().count == polled, "the witness file holds every successful poll")
        #expect(spooled > 0, "the outage should have sent documents to the spool")
        print(
            "outage: polls_ok=\(polled) spooled_during_outage=\(spooled) due_after_outage=\(expected) indexed=\(indexed)"
        )
    }

    @Test(.timeLimit(.minutes(2))) func killDashNineDuringTheOutageLosesNothing() async throws {
        let rig = try await ShippingRig(readers: 3)
        try rig.writeConfiguration()
        var shipment = try await rig.start()
        try await eventually("first documents", timeout: .seconds(15)) {
            try await rig.osmem.count(index: rig.index) >= 15
        }
        let outage = Date()
        rig.osmem.stop()
        try await Task.sleep(for: .seconds(8))
        let beforeKill = try await shipment.pollsOK(readers: 3)
        shipment.process.signal(SIGKILL)
        _ = try await shipment.process.waitForExit(timeout: .seconds(5))
        let killed = Date()
        shipment = try await rig.start()
        try await Task.sleep(for: .seconds(4))
        try await rig.osmem.start()
        try await Task.sleep(for: .seconds(2))
        for program in rig.programs { program.stop() }
        let (expected, indexed) = try await expectDelivered(
            rig, since: outage, timeout: .seconds(45), killed: killed)
        // The witness may miss what its own queue held at the kill; the Go programs' `requests`
        // counters cannot: per reader, every request served before the kill is a document.
        let documents = try await rig.indexed().values.map(WitnessedDocument.init(source:))
        var gaps: [String: [Int]] = [:]
        for reader in Set(documents.map(\.reader)) {
            let before = documents.filter { $0.reader == reader && $0.timestamp >= outage && $0.timestamp < killed }
                .map(\.requests).sorted()
            guard let first = before.first, let last = before.last else { continue }
            let missing = Set(first...last).subtracting(before).sorted()
            if !missing.isEmpty { gaps[reader] = missing }
        }
        #expect(gaps.isEmpty, "polls before the kill missing from the index: \(gaps)")
        shipment.process.signal(SIGTERM)
        #expect(try await shipment.process.waitForExit(timeout: .seconds(10)) == 0)
        print("kill -9: polls_ok_before_kill=\(beforeKill) due_after_outage=\(expected) indexed=\(indexed)")
    }
}
