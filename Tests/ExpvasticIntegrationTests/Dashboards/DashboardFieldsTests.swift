import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Every field the shipped dashboards read is one Expvastic really produces — for the real Go program
/// and for its own metrics — and one the shipped index template maps with a type the visualization can
/// aggregate (SPEC §8). A missing or badly mapped field fails the test with the list of them.
@Suite(.serialized) struct DashboardFieldsTests {
    static let goDashboard = "expvastic-go-runtime"
    static let selfDashboard = "expvastic-self-monitoring"
    /// Published by the user's own program; Go's expvar does not export it.
    static let userExported: Set<String> = ["goroutines"]
    /// New-pause fields, present only in a poll that follows a garbage collection.
    static let afterGCOnly: Set<String> = ["memstats.gc.pause_max_ns", "memstats.gc.pause_avg_ns"]

    func template() throws -> IndexTemplateMapping {
        try IndexTemplateMapping(templateJSON: Data(contentsOf: KibanaSavedObjects.composableTemplateURL()))
    }

    func report(_ problems: [String], _ what: String) -> Comment {
        Comment(rawValue: "\(problems.count) problem(s) with \(what):\n" + problems.joined(separator: "\n"))
    }

    @Test func goRuntimeFieldsFromExpvasymlOnce() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        try await withTemporaryDirectory { directory in
            let config = """
                readers:
                  go_app:
                    type: expvar
                    type_name: go_app
                    endpoint: \(program.endpoint)
                recorders:
                  file_output:
                    type: file
                    path: \(directory.path)/out.ndjson
                routes:
                  r:
                    readers: [go_app]
                    recorders: [file_output]
                """
            try config.write(to: directory.appendingPathComponent("expvastic.yml"), atomically: true, encoding: .utf8)
            let outcome = try await ExpvasymlBinary.run(
                arguments: ["-c", "expvastic.yml", "--once"], currentDirectory: directory)
            #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
            let documents = try DocumentFields.documents(inBulk: outcome.stdout)
            #expect(documents.count == 1)
            let uses = try KibanaSavedObjects.load().fieldUses(ofDashboard: Self.goDashboard)
                .filter { !Self.afterGCOnly.contains($0.field) }
            let check = DashboardFieldCheck(
                uses: uses, documents: documents, mapping: try template(), userExported: Self.userExported)
            let problems = check.problems()
            #expect(problems.isEmpty, report(problems, "Go runtime fields of expvasyml --once"))
            let conflicts = check.documentProblems()
            #expect(conflicts.isEmpty, report(conflicts, "the --once document"))
        }
    }

    @Test func goRuntimeFieldsIncludingNewPausesFromTwoPolls() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        let url = try Endpoint.parse("http://\(program.endpoint)/debug/vars").get()
        let transport = DefaultTransport()
        defer { transport.shutdown() }
        let reader = ExpvarReader(
            configuration: ReaderConfiguration(name: "go_app", kind: .expvar, typeName: "go_app", url: url),
            transport: transport, metrics: MetricsRegistry(),
            logger: Logger(component: "reader.go_app", level: .error))
        let first = try await reader.read(startedAtWallNanos: 1_795_284_000_000_000_000)[0]
        let collections = try await program.forceGC(n: 3)
        #expect(collections.pausesNs.count == 3)
        let second = try await reader.read(startedAtWallNanos: 1_795_284_001_000_000_000)[0]
        let documents = try [first, second].map {
            try DocumentFields(parsing: String(decoding: $0.body, as: UTF8.self))
        }
        #expect(try #require(documents[1].integers["memstats.gc.pause_count"]) >= 3)
        let uses = try KibanaSavedObjects.load().fieldUses(ofDashboard: Self.goDashboard)
        // Every field, the new-pause ones included, must be in the poll after the collections.
        let check = DashboardFieldCheck(
            uses: uses, documents: [documents[1]], mapping: try template(), userExported: Self.userExported)
        let problems = check.problems()
        #expect(problems.isEmpty, report(problems, "Go runtime fields of the poll after 3 GCs"))
        let conflicts = DashboardFieldCheck(uses: [], documents: documents, mapping: try template()).documentProblems()
        #expect(conflicts.isEmpty, report(conflicts, "the polled documents"))
    }

    /// The shipped component names (reader `expvastic_self`, recorders `file_output` and
    /// `local_elasticsearch`) in a real run of `expvasyml` against osmem-server, with a Go program
    /// polled next to it: the self dashboard's fields come from the self reader's documents, both
    /// dashboards' fields are mapped by the cluster (which got the template from the recorder) as
    /// the visualizations need, and the cluster accepted every document.
    @Test func bothDashboardsAgainstARealRun() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        try await withTemporaryDirectory { directory in
            let output = directory.appendingPathComponent("expvastic.ndjson")
            let config = """
                settings:
                  log_level: warn
                  shutdown_timeout: 5s
                  http:
                    listen: ""
                readers:
                  expvastic_self:
                    type: self
                    interval: 250ms
                  go_app:
                    type: expvar
                    type_name: go_app
                    endpoint: \(program.endpoint)
                    interval: 250ms
                recorders:
                  file_output:
                    type: file
                    path: \(output.path)
                  local_elasticsearch:
                    type: elasticsearch
                    endpoint: 127.0.0.1:\(server.port)
                    index_name: expvastic-%{+yyyy.MM.dd}
                    flush_interval: 100ms
                    spool_dir: \(directory.path)/spool
                routes:
                  self_metrics:
                    readers: [expvastic_self, go_app]
                    recorders: [file_output, local_elasticsearch]
                """
            try config.write(to: directory.appendingPathComponent("expvastic.yml"), atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", "expvastic.yml"], currentDirectory: directory)
            defer { process.stop() }

            // Until a Go document carries new pauses and a self document shows both recorders at work.
            func ready(_ documents: [DocumentFields]) -> Bool {
                let go = documents.contains {
                    $0.strings["reader"] == "go_app" && $0.kinds["memstats.gc.pause_max_ns"] != nil
                }
                let selfDone = documents.contains {
                    $0.strings["reader"] == "expvastic_self"
                        && ($0.integers["recorders.local_elasticsearch.docs_sent"] ?? 0) > 0
                        && ($0.integers["recorders.local_elasticsearch.bulk_latency.count"] ?? 0) > 0
                        && ($0.integers["recorders.file_output.docs_sent"] ?? 0) > 0
                }
                return go && selfDone
            }
            var documents: [DocumentFields] = []
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(20))
            while clock.now < deadline && process.isRunning {
                _ = try await program.forceGC(n: 1)
                try await Task.sleep(for: .milliseconds(250))
                documents = try Self.completeDocuments(at: output)
                if ready(documents) { break }
            }
            let complete = ready(documents)
            #expect(complete, "no complete run within 20 s; stderr: \(process.stderr.suffix(2000))")
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(10)) == 0, "stderr: \(process.stderr.suffix(2000))")
            documents = try Self.completeDocuments(at: output)
            let selfDocuments = documents.filter { $0.strings["reader"] == "expvastic_self" }
            let goDocuments = documents.filter { $0.strings["reader"] == "go_app" }
            let lastSelf = try #require(selfDocuments.last)
            #expect(lastSelf.strings["endpoint"] == "self")

            let saved = try KibanaSavedObjects.load()
            let selfUses = try saved.fieldUses(ofDashboard: Self.selfDashboard)
            let goUses = try saved.fieldUses(ofDashboard: Self.goDashboard)
            let template = try template()
            // Self metrics are registered at start-up, so every self document must have every field.
            var problems = DashboardFieldCheck(uses: selfUses, documents: [lastSelf], mapping: template).problems()
            #expect(problems.isEmpty, report(problems, "self-monitoring fields"))
            problems = DashboardFieldCheck(
                uses: goUses, documents: goDocuments, mapping: template, userExported: Self.userExported
            ).problems()
            #expect(problems.isEmpty, report(problems, "Go runtime fields of a real run"))
            problems = DashboardFieldCheck(uses: [], documents: documents, mapping: template).documentProblems()
            #expect(problems.isEmpty, report(problems, "the documents of a real run"))

            // The cluster: it has every document the file has, and maps every field as the panels need.
            let count = try #require(try await server.json("/expvastic-*/_count")["count"] as? Int)
            #expect(count == documents.count, "the cluster indexed \(count) of \(documents.count) documents")
            #expect(lastSelf.integers["recorders.local_elasticsearch.docs_dead_lettered"] == 0)
            let indices = try await server.json("/expvastic-*/_mapping")
            #expect(!indices.isEmpty)
            var clusterTypes: [String: Set<String>] = [:]
            for (index, body) in indices {
                let mappings = try #require((body as? [String: Any])?["mappings"] as? [String: Any], "\(index)")
                let cluster = try IndexTemplateMapping(mappings: mappings)
                for use in selfUses + goUses {
                    if let type = cluster.explicitType(use.field) { clusterTypes[use.field, default: []].insert(type) }
                }
            }
            var clusterProblems: [String] = []
            for use in selfUses + goUses where !Self.userExported.contains(use.field) {
                let types = clusterTypes[use.field] ?? []
                if types.isEmpty { clusterProblems.append("\(use): not mapped by the cluster") }
                for type in types where !DashboardFieldCheck.serves(type, use.need) {
                    clusterProblems.append("\(use): the cluster maps it as \(type)")
                }
            }
            #expect(clusterProblems.isEmpty, report(clusterProblems, "the cluster's mapping"))
        }
    }

    /// The documents of the complete lines of a bulk NDJSON file that is still being written.
    static func completeDocuments(at url: URL) throws -> [DocumentFields] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        if lines.count % 2 == 1 { lines.removeLast() }
        return try DocumentFields.documents(inBulk: lines.joined(separator: "\n"))
    }

    /// The shared temporary directory helper, handing `body` a URL.
    func withTemporaryDirectory(_ body: (URL) async throws -> Void) async throws {
        try await ExpvasticTestSupport.withTemporaryDirectory(prefix: "expvastic-dashboards") { path in
            try await body(URL(fileURLWithPath: path, isDirectory: true))
        }
    }
}
