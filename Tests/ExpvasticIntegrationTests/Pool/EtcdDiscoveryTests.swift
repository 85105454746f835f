import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Targets stored in a real etcd: the fetcher reads file_sd lists under a prefix, and a running
/// `expvasyml` picks up a target added with one put and drops it when the key is deleted, through
/// the watch: its refresh is 60 s, so only the watch can make either happen within the test's 10 s.
@Suite struct EtcdDiscoveryTests {
    @Test(.timeLimit(.minutes(1))) func theFetcherReadsEveryKeyAndNamesABadOne() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let client = EtcdClient(
            endpoints: [try Endpoint.parse(etcd.clientURLs[0]).get()], transport: DefaultTransport())
        try await client.put(
            "/targets/a", Array(#"[{"targets":["10.0.0.1:8080","10.0.0.2:8080"],"labels":{"env":"prod"}}]"#.utf8))
        try await client.put("/targets/b", Array(#"[{"targets":["10.0.0.3:8080"]}]"#.utf8))
        let fetcher = EtcdTargetFetcher(prefix: "/targets/", client: client)
        let answer = try await fetcher.fetch()
        #expect(answer.targets.map(\.address) == ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"])
        #expect(answer.targets.first?.labels == ["env": "prod"])
        try await client.put("/targets/c", Array("not json".utf8))
        do {
            _ = try await fetcher.fetch()
            Issue.record("a bad key was accepted")
        } catch {
            #expect(error.message.contains("/targets/c"))
        }
    }

    @Test(.timeLimit(.minutes(2))) func aTargetPutIntoEtcdIsPolledAndDroppedWhenDeletedThroughTheWatch() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-etcd-sd-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("expvastic.yml").path
        try """
        settings:
          http:
            listen: 127.0.0.1:0
        readers:
          api:
            type: expvar
            type_name: api
            interval: 200ms
            targets:
              - etcd: {prefix: /targets/, endpoints: [\(etcd.clientURLs[0])], refresh: 60s}
        recorders:
          out:
            type: file
            path: \(directory.appendingPathComponent("out.ndjson").path)
        routes:
          all:
            readers: [api]
            recorders: [out]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let process = try ExpvasymlBinary.spawn(arguments: ["-c", path])
        defer { process.stop() }
        let line = try await process.waitForStderr(containing: "http.port=", timeout: .seconds(30))
        let port = try #require(Int(line[line.range(of: "http.port=")!.upperBound...].prefix { $0.isNumber }))
        func polled() async throws -> [String] {
            let response = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/api/v1/targets")!)
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            return (object?["targets"] as? [[String: Any]] ?? []).compactMap { $0["endpoint"] as? String }
        }
        let client = EtcdClient(
            endpoints: [try Endpoint.parse(etcd.clientURLs[0]).get()], transport: DefaultTransport())
        // The source's first range (nothing under the prefix) has answered once its health is known;
        // a put after it reaches the process only through the watch (which starts from that range's
        // revision, so a put between the range and the watch's start is reported too).
        try await eventually("first range", timeout: .seconds(15), interval: .milliseconds(50)) {
            let response = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/healthz")!)
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            return (object?["components"] as? [String: Any])?["discovery.api.0.etcd"] as? String == "ok"
        }
        let putAt = ContinuousClock.now
        try await client.put("/targets/go", Array(#"[{"targets":["\#(program.endpoint)"]}]"#.utf8))
        let url = "http://\(program.endpoint)/debug/vars"
        try await eventually("target polled", timeout: .seconds(10), interval: .milliseconds(20)) {
            try await polled() == [url]
        }
        let added = ContinuousClock.now - putAt
        let deleteAt = ContinuousClock.now
        try await client.delete("/targets/go")
        try await eventually("target dropped", timeout: .seconds(10), interval: .milliseconds(20)) {
            try await polled().isEmpty
        }
        let removed = ContinuousClock.now - deleteAt
        print(
            "etcd source watched (refresh 60s): put -> target running after \(added), delete -> gone after \(removed)")
        // Well under the refresh: the watch did it.
        #expect(added < .seconds(10) && removed < .seconds(10))
        process.signal(SIGTERM)
        #expect(try await process.waitForExit(timeout: .seconds(15)) == 0)
    }
}
