import Expvastic
import Foundation
import Testing

/// The reader's documents, byte for byte, over sequences of polls, against documents recorded from
/// the implementation before the reader's state was made compact (issue 19: 10,000 targets in
/// 150 MB): the compact path table, the per-poll buffers borrowed from the scratch pool, the member
/// and key-order caches given back their spare room. Each sequence polls real Go bodies
/// (`Fixtures/go-debug-vars-4k.json`, `-10k.json`) and variants of them: moving counters and GC
/// rings, integers where doubles were (type stability), new keys, keys in another order, values of
/// another kind, values where objects were, invalid, reserved and escaped keys, hostile arrays, and
/// back. Every document (id and body) and the drop counters after each poll are compared.
///
/// The recordings are `Fixtures/documents/<scenario>.txt`; `EXPVASTIC_RECORD_DOCUMENTS=1` rewrites
/// them from the current code (only when a change of the documents is intended).
@Suite struct DocumentStabilityTests {
    typealias H = ReaderHarness

    /// The 4 KB fixture has one top-level member per line (lines 1 to 6, between the braces).
    static func members(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        return lines.dropFirst().dropLast().map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
    }

    static func object(_ members: [String]) -> String { "{\n" + members.joined(separator: ",\n") + "\n}\n" }

    /// The bodies of one sequence, in poll order.
    static func goBodies() throws -> [String] {
        let small = String(decoding: try Fixtures.load("go-debug-vars-4k"), as: UTF8.self)
        let large = String(decoding: try Fixtures.load("go-debug-vars-10k"), as: UTF8.self)
        let moved =
            small
            .replacingOccurrences(of: "\"NumGC\":5", with: "\"NumGC\":7")
            .replacingOccurrences(of: "5739,0,0,", with: "5739,1000,2000,")
            .replacingOccurrences(of: "424242", with: "424300")
        let added =
            moved
            .replacingOccurrences(of: "\"load_avg\": 1.375", with: "\"load_avg\": 2")
            .replacingOccurrences(of: "\"requests_total\": 424300", with: "\"requests_total\": 4.5")
            .replacingOccurrences(
                of: "{\n\"build\"",
                with: """
                    {
                    "new_metric": {"a": 1, "b": [1, 2, 3], "c": ["x", "y"], "d": [true, false], "e": []},
                    "k\\u00e9y \\"q\\"": 2, "a..b": 1, "type": "payload", "reader": {"x": 1}, " ": 3,
                    "mixed": [1, "a"], "objs": [{"a": 1}, {"a": 2, "b": "c"}], "nulls": [null], "inf": +Inf,
                    "big": 18446744073709551615, "nothing": null,
                    "build"
                    """)
        let shuffled = object(members(added).reversed())
        let conflicting =
            small
            .replacingOccurrences(of: "\"build\": \"v0.0.1-anchor \\\"quoted\\\"\"", with: "\"build\": 17")
            .replacingOccurrences(of: "\"requests_total\": 424242", with: "\"requests_total\": \"many\"")
            .replacingOccurrences(of: "\"GET /a\": 17", with: "\"GET /a\": {\"p50\": 1}")
            .replacingOccurrences(of: "\"load_avg\": 1.375", with: "\"load_avg\": null")
            .replacingOccurrences(of: "\"cmdline\": [\"./expvarsrv\"]", with: "\"cmdline\": [1, 2]")
        let nested = small.replacingOccurrences(
            of: "{\n\"build\"", with: "{\n\"fresh\": 1, \"fresh.x\": 2, \"later\": {\"y\": 1},\n\"build\"")
        let flipped = small.replacingOccurrences(
            of: "{\n\"build\"", with: "{\n\"fresh\": {\"z\": 1}, \"later\": 5,\n\"build\"")
        return [small, moved, added, shuffled, conflicting, small, nested, flipped, large, added, large, small]
    }

    static func splitBodies() -> [String] {
        let reordered = """
            {"notstats":{"x":2},
             "httpd:127.0.0.1:8086":{"values":{"reqDurationNs":6,"req":4},"tags":{"bind":"127.0.0.1:8086"},"name":"httpd"},
             "database:telegraf":{"name":"database","tags":{"database":"telegraf"},"values":{"numSeries":"seven"}},
             "cmdline":["influxd"],"memstats":{"NumGC":1,"Alloc":2},
             "shard:/var/lib/influxdb/data/telegraf/autogen/1:1":{"name":"shard","tags":{"database":"telegraf","id":"1"},
               "values":{"writeBytes":11,"seriesCreate":2,"new":1}},
             "database:_internal":{"name":"database","tags":{"database":"_internal"},"values":{"numSeries":3}}}
            """
        let influx = SplitConfigurationTests.influx
        return [influx, reordered, influx, reordered]
    }

    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var split: SplitConfiguration? = nil
        var maxFields: Int? = nil
        var include: [String] = []
        var exclude: [String] = []
        var units: [String: FieldMap.Unit] = [:]
        /// Pins set before the poll of this index.
        var pinsAt: Int? = nil

        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "go-default"),
        Scenario(name: "go-budget", maxFields: 25),
        Scenario(
            name: "go-include-units", include: ["memstats.Heap*", "per_route.**", "new_metric.**", "objs.**", "big"],
            exclude: ["memstats.HeapIdle"], units: ["memstats.HeapAlloc": .mb, "memstats.Heap*": .kb]),
        Scenario(name: "go-pins", pinsAt: 3),
        Scenario(name: "influx-split", split: .influxDB),
        Scenario(name: "influx-split-budget", split: .influxDB, maxFields: 3),
    ]

    /// Every poll's documents and the drop counters after it, as text.
    static func run(_ scenario: Scenario) throws -> String {
        var configuration = H.configuration(
            include: scenario.include, exclude: scenario.exclude, fieldMap: FieldMap(memoryBytes: scenario.units))
        configuration.split = scenario.split
        if let maxFields = scenario.maxFields { configuration.maxFields = maxFields }
        let pins = FieldPins()
        let reader = ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: MetricsRegistry(),
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()), fieldPins: pins)
        let bodies = scenario.split == nil ? try goBodies() : splitBodies()
        var out = ""
        for (index, body) in bodies.enumerated() {
            if index == scenario.pinsAt {
                pins.pin("load_avg", as: .kind(.string), reader: configuration.name)
                pins.pin("memstats.Alloc", as: .refused, reader: configuration.name)
                pins.pin("per_route", as: .kind(.number), reader: configuration.name)
            }
            out += "# poll \(index)\n"
            do {
                let documents = try reader.documents(
                    fromBody: Array(body.utf8), startedAtWallNanos: H.start + Int64(index) * 10_000_000_000)
                for document in documents {
                    out += document.id + " " + String(decoding: document.body, as: UTF8.self) + "\n"
                }
            } catch {
                out += "error \(error.code): \(error.message)\n"
            }
            out += "dropped " + reader.droppedFields.map { "\($0.reason)=\($0.count)" }.joined(separator: " ") + "\n"
        }
        return out
    }

    static let recordingDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/documents")

    @Test(arguments: scenarios) func documentsMatchTheRecording(_ scenario: Scenario) throws {
        let produced = try Self.run(scenario)
        let file = Self.recordingDirectory.appendingPathComponent(scenario.name + ".txt")
        if ProcessInfo.processInfo.environment["EXPVASTIC_RECORD_DOCUMENTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.recordingDirectory, withIntermediateDirectories: true)
            try Data(produced.utf8).write(to: file)
            return
        }
        let recorded = try #require(
            Bundle.module.url(forResource: scenario.name, withExtension: "txt", subdirectory: "Fixtures/documents")
                .flatMap { FileManager.default.contents(atPath: $0.path) },
            "recording Fixtures/documents/\(scenario.name).txt is missing")
        let expected = String(decoding: recorded, as: UTF8.self)
        let producedLines = produced.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(producedLines.count == expectedLines.count)
        for (line, (got, want)) in zip(producedLines, expectedLines).enumerated() where got != want {
            Issue.record("\(scenario.name) line \(line + 1):\n got  \(got)\n want \(want)")
            break
        }
        // Several polls with documents each, so the comparison covers what it claims.
        #expect(producedLines.filter { $0.hasPrefix("# poll") }.count >= 4)
        #expect(producedLines.filter { $0.contains("\"@timestamp\"") }.count >= 4)
    }
}
