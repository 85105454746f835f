import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The Prometheus dashboards read only fields that a `type: prometheus` reader really produces from
/// Debian's node_exporter, mapped by the shipped template as the visualizations need.
@Suite(.serialized) struct PrometheusDashboardFieldsTests {
    func template() throws -> IndexTemplateMapping {
        try IndexTemplateMapping(templateJSON: Data(contentsOf: KibanaSavedObjects.composableTemplateURL()))
    }

    @Test(arguments: ["expvastic-prometheus-targets", "expvastic-node-exporter"])
    func dashboardFieldsFromANodeExporterScrape(dashboard: String) async throws {
        let exporter = try await PrometheusExporter.start(.nodeExporter)
        try await withTemporaryDirectory(prefix: "expvastic-prom-dashboard") { directory in
            let config = """
                readers:
                  node:
                    type: prometheus
                    endpoint: \(URL(string: exporter.url)!.host!):\(URL(string: exporter.url)!.port!)
                recorders:
                  file_output:
                    type: file
                    path: \(directory)/out.ndjson
                routes:
                  r:
                    readers: [node]
                    recorders: [file_output]
                """
            try config.write(toFile: directory + "/expvastic.yml", atomically: true, encoding: .utf8)
            let outcome = try await ExpvasymlBinary.run(arguments: ["-c", directory + "/expvastic.yml", "--once"])
            #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
            let documents = try DocumentFields.documents(inBulk: outcome.stdout)
            #expect(documents.count > 10)
            let uses = try KibanaSavedObjects.load().fieldUses(ofDashboard: dashboard)
            #expect(!uses.isEmpty)
            let check = DashboardFieldCheck(uses: uses, documents: documents, mapping: try template())
            let problems = check.problems()
            #expect(problems.isEmpty, Comment(rawValue: "\(dashboard):\n" + problems.joined(separator: "\n")))
            let conflicts = check.documentProblems()
            #expect(conflicts.isEmpty, Comment(rawValue: conflicts.joined(separator: "\n")))
        }
        _ = exporter
    }
}
