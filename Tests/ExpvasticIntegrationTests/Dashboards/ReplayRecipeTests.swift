import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The README's replay recipe with the shipped `expvastic.yml` and the shipped template: the file
/// recorder's documents land in indices the template covers, so they get its mappings, not dynamic
/// ones.
@Suite struct ReplayRecipeTests {
    @Test(.timeLimit(.minutes(1))) func theShippedFileReplaysIntoTheTemplatesMappings() async throws {
        let root = try RepoRoot.url()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let installTemplate =
            "--data-binary @dashboards/index-template-composable.json localhost:9200/_index_template/expvastic"
        let replay = "--data-binary @data/expvastic.ndjson localhost:9200/_bulk"
        #expect(readme.contains(installTemplate))
        #expect(readme.contains(replay))

        let loaded = ConfigurationLoader.load(
            path: root.appendingPathComponent("expvastic.yml").path, environment: [:], strict: true)
        let configuration = try #require(loaded.configuration, "\(loaded.diagnostics)")
        guard case .file(let file)? = configuration.recorder(named: "file_output")?.kind,
            case .elasticsearch(let es)? = configuration.recorder(named: "local_elasticsearch")?.kind
        else {
            Issue.record("the shipped recorders changed")
            return
        }
        #expect(file.path == "./data/expvastic.ndjson")
        #expect(file.indexName == es.indexName.pattern, "the file and the cluster should get the same indices")

        // What the file recorder writes: `--once` prints the same bulk lines with the `_index` of the
        // reader's first recorder, file_output.
        let once = try await ExpvasymlBinary.run(
            arguments: ["-c", root.appendingPathComponent("expvastic.yml").path, "--once"],
            currentDirectory: FileManager.default.temporaryDirectory)
        #expect(once.status == 0, "\(once.stderr)")
        let lines = once.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(once.stdout)")
        let action = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: [String: String]])
        let index = try #require(action["create"]?["_index"])

        let server = try await OsmemServer()
        defer { server.stop() }
        let template = try Data(contentsOf: root.appendingPathComponent("dashboards/index-template-composable.json"))
        _ = try await server.json("/_index_template/expvastic", method: "PUT", body: Array(template))
        let bulk = try await server.json("/_bulk", method: "POST", body: Array(once.stdout.utf8))
        #expect(bulk["errors"] as? Bool == false, "\(bulk)")
        #expect(try await server.count(index: index) == 1)
        #expect(try await server.fieldType(index: index, path: "process.rss_bytes") == "double")
        #expect(try await server.fieldType(index: index, path: "cmdline") == "keyword")

        // The defect this guards against: the same lines into the default `expvastic` index, which the
        // template does not cover, get dynamic mappings.
        let uncovered = once.stdout.replacingOccurrences(
            of: "\"_index\":\"\(index)\"", with: "\"_index\":\"expvastic\"")
        _ = try await server.json("/_bulk", method: "POST", body: Array(uncovered.utf8))
        #expect(try await server.fieldType(index: "expvastic", path: "process.rss_bytes") == "long")
    }
}
