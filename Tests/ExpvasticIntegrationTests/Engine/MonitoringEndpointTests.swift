import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The monitoring endpoint of a running `expvasyml`, read the way operators and Expvastic read it.
@Suite struct MonitoringEndpointTests {
    @Test(.timeLimit(.minutes(1))) func expvasticReadsExpvastic() async throws {
        let rig = try await ShippingRig(readers: 1)
        try rig.writeConfiguration()
        let shipment = try await rig.start()
        defer { shipment.process.signal(SIGTERM) }
        try await eventually("documents sent", timeout: .seconds(10)) {
            try await shipment.counter("recorders", "es", "docs_sent") > 0
        }
        // A second Expvastic polls the first one's /debug/vars with an ordinary expvar reader.
        let config = rig.directory.appendingPathComponent("reads-expvastic.yml").path
        try """
        readers:
          first_expvastic:
            type: expvar
            type_name: expvastic
            endpoint: 127.0.0.1:\(shipment.monitoringPort)
        recorders:
          out: {type: file, path: \(rig.directory.appendingPathComponent("second.ndjson").path)}
        routes:
          r: {readers: [first_expvastic], recorders: [out]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await ExpvasymlBinary.run(arguments: ["-c", config, "--once"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(result.stdout.split(separator: "\n").dropFirst().first)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        #expect((fields["readers.app_0.polls_ok"] as? Int ?? 0) > 0, "fields: \(fields.keys.sorted())")
        #expect((fields["recorders.es.docs_sent"] as? Int ?? 0) > 0)
        #expect((fields["process.rss_bytes"] as? Int ?? 0) > 1 << 20)
        #expect(fields["readers.app_0.poll_latency.count"] is Int)

        let health = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(shipment.monitoringPort)/healthz")!)
        #expect(health.status == 200)
        #expect(health.text.contains(#""reader.app_0":"ok""#), "\(health.text)")
        #expect(health.text.contains(#""recorder.es":"ok""#), "\(health.text)")
        let aggregate = try await HTTPGet.get(
            URL(string: "http://127.0.0.1:\(shipment.monitoringPort)/api/v1/collection/aggregate?window=60s")!)
        #expect(aggregate.status == 200)
        #expect(aggregate.text.contains("reader.app_0") && aggregate.text.contains("recorder.es"))
    }
}
