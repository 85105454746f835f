import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Two `expvasyml` processes polling one Go program (a job with one static target) into one
/// osmem-server index: slot-based ids make their documents for one interval the same document.
@Suite struct SlotIDTests {
    /// How long both run; EXPVASTIC_SLOT_TEST_SECONDS=30 reproduces the issue's acceptance run.
    static let seconds = Double(ProcessInfo.processInfo.environment["EXPVASTIC_SLOT_TEST_SECONDS"] ?? "") ?? 8

    func configuration(_ rig: ShippingRig, name: String, endpoint: String) -> String {
        """
        settings:
          shutdown_timeout: 5s
          http:
            listen: 127.0.0.1:0
        readers:
          api:
            type: expvar
            type_name: goapp
            interval: 500ms
            timeout: 400ms
            targets:
              - static: [\(endpoint)]
        recorders:
          es:
            type: elasticsearch
            endpoint: \(rig.osmem.endpoint.host):\(rig.osmem.endpoint.port)
            index_name: \(rig.index)
            flush_interval: 200ms
            spool_dir: \(rig.directory.appendingPathComponent("spool-\(name)").path)
          witness:
            type: file
            path: \(rig.directory.appendingPathComponent("witness-\(name).ndjson").path)
        routes:
          all:
            readers: [api]
            recorders: [es, witness]
        """
    }

    func witnessed(_ path: String) throws -> [String: Double] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n")
        var result: [String: Double] = [:]
        for index in stride(from: 0, to: lines.count - 1, by: 2) {
            let action = try JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as? [String: Any]
            let source = try JSONSerialization.jsonObject(with: Data(lines[index + 1].utf8)) as? [String: Any]
            if let id = (action?["create"] as? [String: Any])?["_id"] as? String {
                result[id] = Double(RFC3339.parse(source?["@timestamp"] as? String ?? "") ?? 0) / 1000
            }
        }
        return result
    }

    @Test(.timeLimit(.minutes(2))) func twoProcessesPollingOneTargetWriteOneDocumentPerSlot() async throws {
        let rig = try await ShippingRig(readers: 1)
        let endpoint = rig.programs[0].endpoint.description
        var processes: [RunningProcess] = []
        for name in ["a", "b"] {
            let path = rig.directory.appendingPathComponent("\(name).yml").path
            try configuration(rig, name: name, endpoint: endpoint).write(
                toFile: path, atomically: true, encoding: .utf8)
            processes.append(try ExpvasymlBinary.spawn(arguments: ["-c", path]))
            _ = try await processes.last!.waitForStderr(containing: "running", timeout: .seconds(20))
            // Start the second one in the middle of an interval.
            try await Task.sleep(for: .milliseconds(1_250))
        }
        try await Task.sleep(for: .seconds(Self.seconds))
        for process in processes { process.signal(SIGTERM) }
        for process in processes { #expect(try await process.waitForExit(timeout: .seconds(10)) == 0) }
        let a = try witnessed(rig.directory.appendingPathComponent("witness-a.ndjson").path)
        let b = try witnessed(rig.directory.appendingPathComponent("witness-b.ndjson").path)
        let both = Set(a.keys).intersection(b.keys)
        let union = Set(a.keys).union(b.keys)
        try await eventually("delivery", timeout: .seconds(20), interval: .milliseconds(300)) {
            try await rig.osmem.count(index: rig.index) >= union.count
        }
        let indexed = try await rig.indexed()
        // While both ran (about `seconds` × 2 polls), they polled the same slots and wrote the same ids.
        let overlapPolls = Int(Self.seconds * 2)
        #expect(both.count >= overlapPolls - 2, "a=\(a.count) b=\(b.count) shared=\(both.count)")
        #expect(Set(indexed.keys) == union)
        // One document per slot: no two indexed documents fall into one 500 ms interval.
        let times = indexed.keys.compactMap { a[$0] ?? b[$0] }.sorted()
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 > 0.25 }, "closest documents \(gaps.min() ?? 0) s apart")
        print(
            "slot ids: polls a=\(a.count) b=\(b.count) shared=\(both.count) indexed=\(indexed.count) "
                + "(\(a.count + b.count - indexed.count) duplicates absorbed)")
    }
}
