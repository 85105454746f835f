import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal start of osmem-server (the OpenSearch-compatible test server); the full launcher used by
/// the recorder tests lives elsewhere in the test support.
@Suite("osmem-server smoke test")
struct OsmemServerSmokeTests {
    private func serverBinary() throws -> URL {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["OSMEM_SERVER_BIN"], !configured.isEmpty {
            candidates.append(configured)
        }
        let lib = try RepoRoot.url().appendingPathComponent(".venv/lib")
        for python in ((try? fileManager.contentsOfDirectory(atPath: lib.path)) ?? []).sorted()
        where python.hasPrefix("python3") {
            candidates.append(lib.appendingPathComponent("\(python)/site-packages/osmem_server/bin/osmem-server").path)
        }
        candidates.append("/tmp/osvenv/lib/python3.11/site-packages/osmem_server/bin/osmem-server")
        guard let found = candidates.first(where: { fileManager.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError(
                .binaryMissing,
                "osmem-server not found (\(candidates.joined(separator: ", "))): run ./scripts/test, which installs "
                    + "osmem-server into .venv, or set OSMEM_SERVER_BIN"
            )
        }
        return URL(fileURLWithPath: found)
    }

    @Test("osmem-server starts on a free port and GET / names OpenSearch 3.8.0")
    func startsAndAnswers() async throws {
        let server = try RunningProcess(
            executable: try serverBinary(),
            arguments: ["-addr", "127.0.0.1:0", "-no-ja", "-parent-pid", "\(getpid())"],
            input: .pipe
        )
        defer { server.stop(grace: .seconds(1)) }
        let stdout = try await server.waitForStdout(containing: "\n", timeout: .seconds(15))
        let banner = try #require(
            try JSONSerialization.jsonObject(with: Data(stdout.prefix { $0 != "\n" }.utf8)) as? [String: Any]
        )
        let address = try #require(banner["url"] as? String)
        #expect(address.hasPrefix("http://127.0.0.1:"))

        let response = try await HTTPGet.get(try #require(URL(string: address)))
        #expect(response.status == 200)
        let root = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        let version = try #require(root["version"] as? [String: Any])
        #expect(version["number"] as? String == "3.8.0")
        #expect(version["distribution"] as? String == "opensearch")
    }
}
