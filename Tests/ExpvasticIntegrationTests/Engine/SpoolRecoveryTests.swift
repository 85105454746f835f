import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The spool as a user meets it: torn by a crash, or full.
@Suite struct SpoolRecoveryTests {
    func segments(_ rig: ShippingRig) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: rig.spoolDirectory)
        return names.filter { $0.hasSuffix(".spool") }.sorted().map {
            URL(fileURLWithPath: rig.spoolDirectory).appendingPathComponent($0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func segmentTornInsideARecordLosesOnlyThatRecord() async throws {
        let rig = try await ShippingRig(readers: 2)
        rig.osmem.stop()
        try rig.writeConfiguration()
        let first = try await rig.start()
        try await Task.sleep(for: .seconds(3))
        first.process.signal(SIGTERM)
        #expect(try await first.process.waitForExit(timeout: .seconds(8)) == 0)
        for program in rig.programs { program.stop() }
        let witnessed = try rig.witnessed()
        // Tear the newest segment 100 bytes before its end: inside its last record (documents are ~4 KB).
        let last = try #require(try segments(rig).last)
        let handle = try FileHandle(forWritingTo: last)
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 100)
        try handle.close()
        try await rig.osmem.start()
        let second = try await rig.start()
        do {
            try await eventually("spool drained", timeout: .seconds(20), interval: .milliseconds(300)) {
                try await rig.indexed().count >= witnessed.count - 1
            }
        } catch {
            // What the restarted shipper said, so that a slow or stuck replay can be told apart.
            let indexed = (try? await rig.indexed().count).map(String.init) ?? "unknown"
            throw TestSupportError(
                .timeout,
                "\(error); \(witnessed.count) polled, \(indexed) indexed; the restarted expvasyml's stderr: "
                    + String(second.process.stderr.suffix(4000)))
        }
        try await Task.sleep(for: .seconds(1))
        second.process.signal(SIGTERM)
        #expect(try await second.process.waitForExit(timeout: .seconds(8)) == 0)
        let indexed = try await rig.indexed()
        let missing = witnessed.keys.filter { indexed[$0] == nil }
        #expect(missing.count == 1, "expected exactly the torn record missing, got \(missing.count)")
        let reports = second.process.stderr.split(separator: "\n").filter { $0.contains("torn or corrupt") }
        #expect(reports.count == 1, "reports:\n\(reports.joined(separator: "\n"))")
        #expect(reports.first?.contains(" error ") == true)
        print("torn spool: \(witnessed.count) polled, \(indexed.count) delivered, 1 torn record reported once")
    }

    @Test(.timeLimit(.minutes(1))) func fullSpoolDropsTheOldestAndDeliversTheNewest() async throws {
        let rig = try await ShippingRig(readers: 3)
        rig.osmem.stop()
        try rig.writeConfiguration(interval: "100ms", spoolMaxBytes: "256KiB")
        let first = try await rig.start()
        try await eventually("the spool dropped data", timeout: .seconds(20), interval: .milliseconds(300)) {
            try await first.counter("recorders", "es", "spool_dropped_documents") > 0
        }
        let dropped = try await first.counter("recorders", "es", "spool_dropped_documents")
        let health = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(first.monitoringPort)/healthz")!)
        #expect(health.text.contains(#""recorder.es":"degraded""#), "\(health.text)")
        try await Task.sleep(for: .seconds(1))
        let newestPolled = Date()
        try await Task.sleep(for: .seconds(1))
        try await rig.osmem.start()
        try await Task.sleep(for: .seconds(1))
        for program in rig.programs { program.stop() }
        let witnessed = try rig.witnessed()
        let newest = witnessed.filter { $0.value.timestamp >= newestPolled }
        try await eventually("the newest documents delivered", timeout: .seconds(20), interval: .milliseconds(300)) {
            let indexed = try await rig.indexed()
            return newest.keys.allSatisfy { indexed[$0] != nil }
        }
        let indexed = try await rig.indexed()
        let lost = witnessed.filter { indexed[$0.key] == nil }
        let oldestLost = lost.values.map(\.timestamp).max()
        #expect(!lost.isEmpty)
        #expect((oldestLost ?? .distantFuture) < newestPolled, "a recent document was dropped")
        let errors = first.process.stderr.split(separator: "\n").filter {
            $0.contains(" error ") && $0.contains("spool is full")
        }
        #expect(!errors.isEmpty, "the drop was not logged at error level")
        let spoolBytes = try segments(rig).reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int) ?? 0)
        }
        #expect(spoolBytes <= 256 << 10)
        first.process.signal(SIGTERM)
        #expect(try await first.process.waitForExit(timeout: .seconds(8)) == 0)
        print("full spool: dropped=\(dropped) (self metrics) lost=\(lost.count) delivered=\(indexed.count)")
    }
}
