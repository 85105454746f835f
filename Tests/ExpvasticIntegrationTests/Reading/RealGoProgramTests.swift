import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Reading the real Go program: `--once` output, exact numbers and strings, GC pauses.
@Suite struct RealGoProgramTests {
    func onceConfiguration(endpoint: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("once.yml").path
        try """
        readers:
          app:
            type: expvar
            type_name: goapp
            endpoint: \(endpoint)
            timeout: 2s
        recorders:
          out:
            type: file
            path: \(directory.appendingPathComponent("out.ndjson").path)
        routes:
          r: {readers: [app], recorders: [out]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-once-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func oncePrintsExactTypedNDJSON() async throws {
        let go = try await GoExpvarProgram.start()
        defer { go.stop() }
        _ = try await go.forceGC(n: 3)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try onceConfiguration(endpoint: go.endpoint, in: directory)
        let result = try await ExpvasymlBinary.run(arguments: ["-c", config, "--once"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty, "one action line, one document, a final newline")
        let action = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let create = try #require(action["create"] as? [String: Any])
        #expect(create["_index"] as? String == "expvastic")
        #expect((create["_id"] as? String)?.count == 32)
        let document = String(lines[1])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])

        // Compare with what Go itself served, fetched after the poll (memstats do not move without GCs).
        let vars = try await go.variables()
        let memstats = try #require(vars["memstats"])
        let lastGC = try #require(Self.rawNumber("LastGC", in: memstats))
        #expect(document.contains("\"memstats.LastGC\":\(lastGC),"), "LastGC must be Go's digits: \(lastGC)")
        #expect(UInt64(lastGC)! > 1 << 53, "LastGC is Unix nanoseconds, above 2^53")
        let goCommandLine = try JSONSerialization.jsonObject(with: Data(vars["cmdline"]!.utf8)) as? [String]
        #expect(parsed["cmdline"] as? [String] == goCommandLine)
        let goMessage = try #require(
            try JSONSerialization.jsonObject(with: Data(vars["message"]!.utf8), options: .fragmentsAllowed) as? String)
        #expect(parsed["message"] as? String == goMessage)
        #expect(goMessage.contains("\"") && goMessage.contains("\\") && goMessage.contains("<"))
        #expect(goMessage.contains("\n") && goMessage.contains("😀"))
        #expect(parsed["healthy"] as? Bool == true)
        #expect(parsed["tags"] as? [String] == ["a", "b \"c\"", "ü"])
        #expect(parsed["db.pool.limits.max_open"] as? Int == 10)
        for raw in ["memstats.PauseNs", "memstats.PauseEnd", "memstats.BySize", "infinite", "nothing", "items"] {
            #expect(!parsed.keys.contains { $0 == raw || $0.hasPrefix(raw + ".") }, "\(raw) must not be shipped")
        }
        #expect(result.stderr.contains("non_finite=1"), "the +Inf field is counted: \(result.stderr)")
        #expect(result.stderr.contains("null=1") && result.stderr.contains("object_array=1"))
    }

    @Test func newPausesMatchWhatGoReportsAndFloatsStayDoubles() async throws {
        let go = try await GoExpvarProgram.start()
        defer { go.stop() }
        var configuration = ReaderConfiguration(
            name: "app", kind: .expvar, typeName: "goapp",
            url: try Endpoint.parse(go.endpoint).get().appending(
                path: "/debug/vars"))
        configuration.timeout = .seconds(2)
        let reader = ExpvarReader(
            configuration: configuration, transport: DefaultTransport(), metrics: MetricsRegistry(),
            logger: Logger(component: "reader.app", handler: NoOpLogHandler()))
        let first = try await Self.fields(reader)
        #expect(first["memstats.gc.pause_count"] as? Int == 0)
        #expect(first["ratio"] as? Int == 0, "Go writes a Float that is 0 as 0")
        let report = try await go.forceGC(n: 5)
        try await go.set(ratio: 0.25)
        let second = try await Self.fields(reader)
        #expect(second["memstats.gc.pause_count"] as? Int == 5)
        #expect(second["memstats.gc.pauses_ns"] as? [UInt64] == report.pausesNs)
        #expect(second["memstats.gc.pause_ends"] as? [UInt64] == report.pauseEnds)
        #expect(second["memstats.gc.pause_total_ns"] as? UInt64 == report.pausesNs.reduce(0, +))
        #expect(second["memstats.gc.pause_max_ns"] as? UInt64 == report.pausesNs.max())
        #expect(second["ratio"] as? Double == 0.25)
        // Once a path was a double it stays one: Go's `0` is now written `0.0`.
        try await go.set(ratio: 0)
        let third = try await Self.rawDocument(reader)
        #expect(third.contains("\"ratio\":0.0"), "ratio must stay a double")
        #expect(try await Self.fields(reader)["memstats.gc.pause_count"] as? Int == 0, "no GCs since")
    }

    static func rawDocument(_ reader: ExpvarReader) async throws -> String {
        let document = try await reader.read(startedAtWallNanos: SystemClock().wallNanos())[0]
        return String(decoding: document.body, as: UTF8.self)
    }

    static func fields(_ reader: ExpvarReader) async throws -> [String: Any] {
        let text = try await rawDocument(reader)
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    /// The digits of `"key":123` inside a JSON text, as written.
    static func rawNumber(_ key: String, in json: String) -> String? {
        guard let range = json.range(of: "\"\(key)\":") else { return nil }
        let digits = json[range.upperBound...].prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }
}
