import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A running `expvasyml` with a `prometheus` reader on a real node_exporter (through the capture
/// proxy, gzip as node_exporter sends it) shows the reader's counters on its own `/debug/vars`,
/// `/metrics` and `/healthz`, with the values the scrapes call for: polls against the bodies the
/// proxy served, samples against the Python parser's count of them, wire bytes against what the
/// proxy sent, series and rejections against the documents. Then node_exporter stops: failed polls
/// are counted and `/healthz` no longer says ok.
@Suite struct PrometheusSelfMetricsTests {
    @Test(.timeLimit(.minutes(3))) func readerCountersOnTheMonitoringEndpoints() async throws {
        let exporter = try await PrometheusExporter.start(.nodeExporter)
        try await withTemporaryDirectory(prefix: "expvastic-prom-self") { path in
            let directory = URL(fileURLWithPath: path)
            let proxy = try await CaptureProxy(
                upstream: exporter.url, directory: directory.appendingPathComponent("bodies"))
            let witness = directory.appendingPathComponent("witness.ndjson").path
            let config = directory.appendingPathComponent("expvastic.yml").path
            try """
            settings:
              log_level: info
              shutdown_timeout: 5s
              http:
                listen: 127.0.0.1:0
            readers:
              node:
                type: prometheus
                endpoint: \(proxy.address)
                interval: 200ms
                timeout: 5s
                backoff: 1000
            recorders:
              witness:
                type: file
                path: \(witness)
            routes:
              all:
                readers: [node]
                recorders: [witness]

            """.write(toFile: config, atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", config])
            defer { process.stop() }
            let line = try await process.waitForStderr(containing: "http.port=", timeout: .seconds(30))
            let port = Int(line.components(separatedBy: "http.port=").last?.prefix { $0.isNumber } ?? "") ?? 0
            let shipment = Shipment(process: process, monitoringPort: port)
            try await eventually("5 scrapes", timeout: .seconds(60), interval: .milliseconds(100)) {
                try await shipment.counter("readers", "node", "polls_ok") >= 5
            }
            let healthy = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/healthz")!)
            #expect(healthy.text.contains(#""reader.node":"ok""#), "\(healthy.text)")

            // The target goes away; the proxy stays and answers nothing, so every body it saved was
            // delivered and the reader's success counters settle.
            exporter.process.stop()
            try await eventually("failed polls counted", timeout: .seconds(60), interval: .milliseconds(100)) {
                try await shipment.counter("readers", "node", "polls_failed") >= 2
            }
            let bodies = try FileManager.default.contentsOfDirectory(atPath: proxy.directory.path)
                .filter { $0.hasSuffix(".body") }.sorted()
            var scrapeDocuments: [[String: Any]] = []
            try await eventually("every scrape in the witness", timeout: .seconds(30), interval: .milliseconds(100)) {
                let text = (try? String(contentsOfFile: witness, encoding: .utf8)) ?? ""
                scrapeDocuments = text.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.filter { $0["scrape.samples"] != nil }
                return scrapeDocuments.count == bodies.count
            }
            let vars = try await shipment.vars()
            let node = try #require((vars["readers"] as? [String: Any])?["node"] as? [String: Any])
            func number(_ key: String) -> Int { (node[key] as? NSNumber)?.intValue ?? -1 }
            let check = try await proxy.check(documents: witness, reader: "node")
            #expect(check.problems == [])
            #expect(check.scrapes == bodies.count)
            #expect(check.gzipped == bodies.count)

            let wire = try bodies.map { name in
                let base = proxy.directory.appendingPathComponent(String(name.dropLast(".body".count)))
                return Int(try String(contentsOf: base.appendingPathExtension("wire"), encoding: .utf8)) ?? -1
            }.reduce(0, +)
            let sum = { (key: String) in scrapeDocuments.reduce(0) { $0 + (($1[key] as? NSNumber)?.intValue ?? 0) } }
            let latest = scrapeDocuments.max {
                ($0["@timestamp"] as? String ?? "") < ($1["@timestamp"] as? String ?? "")
            }
            let expected: [String: Int] = [
                "polls_ok": bodies.count,
                "samples_shipped": check.samples,
                "bytes_read": wire,
                "lines_rejected": sum("scrape.lines_rejected"),
                "series": (latest?["scrape.series"] as? NSNumber)?.intValue ?? -1,
            ]
            for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(number(key) == value, "/debug/vars readers.node.\(key)")
            }
            #expect(expected["lines_rejected"] == 0)
            #expect(check.samples > 100 * bodies.count)
            let dropped = (node["samples_dropped"] as? [String: Any] ?? [:]).values.reduce(0) {
                $0 + (($1 as? NSNumber)?.intValue ?? 0)
            }
            #expect(dropped == sum("scrape.samples_dropped"))
            #expect(number("polls_failed") >= 2)

            // /metrics: the same values in the Prometheus format, read with our own parser.
            let metrics = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let scrape = PrometheusParser.parse(Array(metrics.text.utf8), format: .text)
            #expect(scrape.linesRejected == 0)
            func exposed(_ name: String) -> Double? {
                scrape.samples.first {
                    scrape.name(of: $0) == name && scrape.labels(of: $0).contains { $0 == ("reader", "node") }
                }?.value
            }
            #expect(exposed("expvastic_polls_ok_total") == Double(bodies.count))
            #expect(exposed("expvastic_samples_shipped_total") == Double(check.samples))
            #expect(exposed("expvastic_bytes_read_total") == Double(wire))
            #expect(exposed("expvastic_lines_rejected_total") == 0)
            #expect(exposed("expvastic_series") == Double(expected["series"] ?? -1))
            #expect((exposed("expvastic_polls_failed_total") ?? 0) >= 2)

            let failing = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/healthz")!)
            #expect(failing.text.contains(#""reader.node":"#), "\(failing.text)")
            #expect(!failing.text.contains(#""reader.node":"ok""#), "\(failing.text)")
            #expect(await process.terminate() == .exited(0))
        }
        _ = exporter
    }
}
