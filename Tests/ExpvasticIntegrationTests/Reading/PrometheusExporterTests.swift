import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `type: prometheus` against real exporters (node_exporter, Prometheus itself, client_golang,
/// python3-prometheus-client in both formats), through a proxy that saves every body the shipper
/// got; the documents are checked against those bodies by the Prometheus project's own Python
/// parser. Serialized: each test runs several processes on a shared, busy machine.
@Suite(.serialized) struct PrometheusExporterTests {
    static let index = "prom"

    static func configuration(
        proxy: CaptureProxy, exporter: PrometheusExporter, osmem: OsmemServer, witness: String, spool: String,
        interval: String
    ) -> String {
        let route = URL(string: exporter.url)!.path
        return """
            settings:
              log_level: info
              shutdown_timeout: 5s
              http:
                listen: 127.0.0.1:0
            readers:
              prom:
                type: prometheus
                endpoint: \(proxy.address)
                routepath: \(route)
                interval: \(interval)
                timeout: 5s
                backoff: 1000
            recorders:
              es:
                type: elasticsearch
                endpoint: \(osmem.endpoint.host):\(osmem.endpoint.port)
                index_name: \(index)
                flush_interval: 100ms
                timeout: 5s
                spool_dir: \(spool)
              witness:
                type: file
                path: \(witness)
            routes:
              all:
                readers: [prom]
                recorders: [es, witness]

            """
    }

    /// Documents in a bulk NDJSON file (action + source lines).
    static func documentCount(_ path: String) -> Int {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").count / 2
    }

    /// Scrapes of the continuous run: 100 on node_exporter (the type-stability check), fewer on the rest.
    static func scrapes(_ kind: PrometheusExporter.Kind) -> Int { kind == .nodeExporter ? 100 : 8 }

    /// Every metric field of the index carries its type as field `meta`, as the Python parser read
    /// it from the bodies.
    static func expectMetricTypesInTheMapping(
        osmem: OsmemServer, types: [String: (prometheus: String, metric: String?)]
    ) async throws {
        let mapping = try await osmem.json("/\(index)/_mapping")
        let properties =
            ((mapping[index] as? [String: Any])?["mappings"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]
        var checked = 0
        for (field, type) in types.sorted(by: { $0.key < $1.key }) {
            guard let property = properties[field] as? [String: Any] else { continue }
            let meta = property["meta"] as? [String: String] ?? [:]
            #expect(meta["prometheus_type"] == type.prometheus, "\(field): meta \(meta), parser says \(type)")
            #expect(meta["metric_type"] == type.metric, "\(field): meta \(meta), parser says \(type)")
            checked += 1
        }
        #expect(checked >= 5, "only \(checked) of \(types.count) typed fields in the mapping")
        #expect(checked == types.count, "fields the parser typed but the index lacks: \(types.count - checked)")
    }

    @Test(arguments: PrometheusExporter.Kind.allCases)
    func onceAndContinuousRunShipEveryFiniteSampleExactlyOnce(kind: PrometheusExporter.Kind) async throws {
        let exporter = try await PrometheusExporter.start(kind)
        try await withTemporaryDirectory(prefix: "expvastic-prom") { path in
            let directory = URL(fileURLWithPath: path)
            let osmem = try await OsmemServer()
            defer { osmem.stop() }
            let witness = directory.appendingPathComponent("witness.ndjson").path
            let spool = directory.appendingPathComponent("spool").path
            let config = directory.appendingPathComponent("expvastic.yml").path

            // --once: one scrape, printed as bulk NDJSON.
            let onceProxy = try await CaptureProxy(
                upstream: exporter.url, directory: directory.appendingPathComponent("once"))
            try Self.configuration(
                proxy: onceProxy, exporter: exporter, osmem: osmem, witness: witness, spool: spool, interval: "1s"
            ).write(toFile: config, atomically: true, encoding: .utf8)
            let once = try await ExpvasymlBinary.run(arguments: ["-c", config, "--once"], timeout: .seconds(60))
            #expect(once.status == 0, "\(once.stderr)")
            let onceDocuments = directory.appendingPathComponent("once.ndjson").path
            try once.stdout.write(toFile: onceDocuments, atomically: true, encoding: .utf8)
            let onceCheck = try await onceProxy.check(documents: onceDocuments, reader: "prom")
            #expect(onceCheck.problems == [])
            #expect(onceCheck.scrapes == 1)
            #expect(onceCheck.samples > 10)
            #expect(onceCheck.gzipped == (kind.gzips ? onceCheck.bodies : 0))

            // A continuous run into osmem-server.
            let proxy = try await CaptureProxy(
                upstream: exporter.url, directory: directory.appendingPathComponent("run"))
            try Self.configuration(
                proxy: proxy, exporter: exporter, osmem: osmem, witness: witness, spool: spool, interval: "50ms"
            ).write(toFile: config, atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", config])
            defer { process.stop() }
            let line = try await process.waitForStderr(containing: "http.port=", timeout: .seconds(30))
            let port = Int(line.components(separatedBy: "http.port=").last?.prefix { $0.isNumber } ?? "") ?? 0
            let shipment = Shipment(process: process, monitoringPort: port)
            let wanted = Self.scrapes(kind)
            try await eventually("\(wanted) scrapes", timeout: .seconds(120), interval: .milliseconds(100)) {
                try await shipment.counter("readers", "prom", "polls_ok") >= wanted
            }
            // Stop the target (the proxy), so the shipper's counters settle, then compare with the index.
            // Polls are serial: once one poll after the stop has failed, the scrape that was in flight
            // when the proxy stopped has ended and handed its documents to the recorders.
            let failedBefore = try await shipment.counter("readers", "prom", "polls_failed")
            proxy.process.stop()
            try await eventually(
                "a poll fails after the target stopped", timeout: .seconds(60), interval: .milliseconds(50)
            ) {
                try await shipment.counter("readers", "prom", "polls_failed") > failedBefore
            }
            // docs_sent includes documents replayed from the spool (a slow osmem-server makes the recorder spool).
            var sent = 0
            var last = ""
            do {
                try await eventually(
                    "everything scraped is indexed", timeout: .seconds(120), interval: .milliseconds(250)
                ) {
                    let witnessed = Self.documentCount(witness)
                    sent = try await shipment.counter("recorders", "es", "docs_sent")
                    let indexed = try await osmem.count(index: Self.index)
                    last = "witness \(witnessed), docs_sent \(sent), indexed \(indexed)"
                    return sent == witnessed && indexed == sent
                }
            } catch {
                Issue.record("\(error): \(last); recorder: \(try await shipment.vars()["recorders"] ?? [:])")
                throw error
            }
            #expect(try await shipment.counter("recorders", "es", "docs_dead_lettered") == 0)
            #expect(try await shipment.counter("readers", "prom", "polls_ok") >= wanted)
            #expect(await process.terminate() == .exited(0))
            let check = try await proxy.check(documents: witness, reader: "prom")
            #expect(check.problems == [])
            #expect(check.scrapes >= wanted)
            #expect(check.documents == sent)
            // The reader asks for gzip; exporters that honour it answered every scrape compressed.
            #expect(check.gzipped == (kind.gzips ? check.bodies : 0))
            #expect(try await osmem.count(index: Self.index) == sent)
            // The template maps labels as keywords and samples as doubles.
            let documents = try String(contentsOfFile: witness, encoding: .utf8).split(separator: "\n")
            let sample = try #require(
                documents.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first { document in document.keys.contains { $0.hasPrefix("labels.") } })
            let label = try #require(sample.keys.first { $0.hasPrefix("labels.") })
            let metric = try #require(
                sample.keys.first {
                    !$0.hasPrefix("labels.") && !["@timestamp", "type", "reader", "endpoint"].contains($0)
                })
            #expect(try await osmem.fieldType(index: Self.index, path: label) == "keyword")
            #expect(try await osmem.fieldType(index: Self.index, path: metric) == "double")
            #expect(try await osmem.fieldType(index: Self.index, path: "scrape.samples") == "double")
            try await Self.expectMetricTypesInTheMapping(osmem: osmem, types: check.types)
        }
        _ = exporter
    }
}
