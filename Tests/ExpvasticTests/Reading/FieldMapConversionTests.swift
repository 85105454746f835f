import Expvastic
import Foundation
import Testing

/// `map_file` `conversions` (issue 12, item 6): typed string conversions, failures counted.
@Suite struct FieldMapConversionTests {
    typealias H = ReaderHarness

    @Test func durationsBecomeSecondsAndTimesBecomeUTCDates() throws {
        let map = FieldMap(conversions: ["**.uptime": .duration, "gc.last": .duration, "**.started": .rfc3339])
        let (reader, metrics) = H.reader(fieldMap: map)
        let payload = """
            {"server":{"uptime":"4m41s","started":"2026-11-21T19:00:00.5+01:00"},"gc":{"last":"556µs"},
             "other":{"uptime":"1h2m3.5s","started":"yesterday"},"plain":"4m41s","bad":{"uptime":"soon"}}
            """
        let document = try H.document(reader, payload)
        let fields = try H.fields(document)
        #expect(fields["server.uptime"] as? Double == 281)
        #expect(abs((fields["gc.last"] as? Double ?? 0) - 0.000556) < 1e-12)
        #expect(fields["other.uptime"] as? Double == 3723.5)
        #expect(fields["server.started"] as? String == "2026-11-21T18:00:00.500Z")
        #expect(fields["plain"] as? String == "4m41s")
        #expect(fields["other.started"] == nil)
        #expect(fields["bad.uptime"] == nil)
        #expect(H.dropped(metrics, "conversion_failed") == 2)
        // A converted path keeps its kind: the next poll's unconvertible value is dropped, not sent.
        let next = try H.fields(try H.document(reader, #"{"server":{"uptime":"n/a"}}"#, at: H.start + 1_000_000_000))
        #expect(next["server.uptime"] == nil)
        #expect(H.dropped(metrics, "conversion_failed") == 3)
    }

    @Test func mapFileReadsConversions() throws {
        try withTemporaryFile("conversions:\n  server.uptime: duration\n  \"**.started\": RFC3339\n") { path in
            let result = loadConfiguration(
                configuration(
                    reader: "type: expvar\n    type_name: x\n    endpoint: localhost:1\n    map_file: \(path)"))
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
            let reader = try #require(result.configuration?.reader(named: "app"))
            #expect(reader.fieldMap.conversions == ["server.uptime": .duration, "**.started": .rfc3339])
        }
        try withTemporaryFile("conversions:\n  server.uptime: seconds\n") { path in
            let result = loadConfiguration(
                configuration(
                    reader: "type: expvar\n    type_name: x\n    endpoint: localhost:1\n    map_file: \(path)"))
            #expect(result.configuration == nil)
            #expect(result.diagnostics.map(\.description).joined().contains("conversions.server.uptime is \"seconds\""))
        }
    }

    func withTemporaryFile(_ text: String, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("map-\(UUID().uuidString).yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }
}
