import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `expvasyml` with a `cluster` section: `--check` shows the pool, a second live member with the
/// same name is refused with exit status 1, and SIGTERM leaves the pool before stopping.
@Suite struct PoolCommandLineTests {
    func configuration(_ etcd: EtcdCluster, directory: URL) throws -> String {
        let path = directory.appendingPathComponent("expvastic.yml").path
        try """
        settings:
          http:
            listen: ""
        cluster:
          etcd:
            endpoints: [\(etcd.clientURLs[0])]
          prefix: /cli/
          member: same
          lease_ttl: 2s
        readers:
          me:
            type: self
            interval: 1s
        recorders:
          out:
            type: file
            path: /dev/null
        routes:
          all:
            readers: [me]
            recorders: [out]
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.timeLimit(.minutes(1))) func checkShowsThePoolAndADuplicateNameIsRefused() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-pool-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try configuration(etcd, directory: directory)
        let check = try await ExpvasymlBinary.run(arguments: ["-c", path, "--check"])
        #expect(check.status == 0)
        #expect(
            check.stdout.contains(
                "cluster: member same, prefix /cli/, lease_ttl 2s (refresh 666ms), etcd \(etcd.clientURLs[0])"),
            "\(check.stdout)")
        let first = try ExpvasymlBinary.spawn(arguments: ["-c", path])
        defer { first.stop() }
        _ = try await first.waitForStderr(containing: "joined the pool at /cli/ as same", timeout: .seconds(20))
        let second = try await ExpvasymlBinary.run(arguments: ["-c", path], timeout: .seconds(30))
        #expect(second.status == 1)
        #expect(second.stderr.contains("member name same is held by another live member"), "\(second.stderr)")
        first.signal(SIGTERM)
        #expect(try await first.waitForExit(timeout: .seconds(20)) == 0)
        #expect(first.stderr.contains("left the pool: lease revoked"))
        let client = EtcdClient(
            endpoints: [try Endpoint.parse(etcd.clientURLs[0]).get()], transport: DefaultTransport())
        #expect(try await client.range(prefix: "/cli/members/").keyValues.isEmpty)
    }
}
