import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// The etcd client against a real single-member etcd (Debian's etcd-server 3.4).
@Suite struct EtcdClientTests {
    func client(_ etcd: EtcdCluster, extra: [Endpoint] = []) throws -> EtcdClient {
        let live = try Endpoint.parse(etcd.clientURLs[0]).get()
        return EtcdClient(endpoints: extra + [live], transport: DefaultTransport(), timeout: .seconds(3))
    }

    @Test(.timeLimit(.minutes(1))) func leasesKeysAndRanges() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let client = try client(etcd)
        let lease = try await client.grantLease(ttl: .seconds(5))
        #expect(lease.ttl == .seconds(5))
        #expect(try await client.create("/pool/members/m1", Array("one".utf8), lease: lease.id))
        #expect(try await !client.create("/pool/members/m1", Array("two".utf8), lease: lease.id))
        #expect(try await client.get("/pool/members/m1")?.text == "one")
        #expect(try await client.get("/pool/members/m1")?.lease == lease.id)
        try await client.put("/pool/members/m2", Array("ü ✓".utf8))
        try await client.put("/pool/membersX", Array("outside".utf8))
        try await client.put("/pool/members", Array("outside too".utf8))
        let range = try await client.range(prefix: "/pool/members/")
        #expect(range.keyValues.map(\.key) == ["/pool/members/m1", "/pool/members/m2"])
        #expect(range.keyValues.map(\.text) == ["one", "ü ✓"])
        #expect(range.revision > 0)
        #expect(try await client.keepAlive(lease: lease.id) == .seconds(5))
        try await client.revoke(lease: lease.id)
        #expect(try await client.get("/pool/members/m1") == nil)
        #expect(try await client.keepAlive(lease: lease.id) == nil)
        // Revoking twice is not an error; putting with a revoked lease is.
        try await client.revoke(lease: lease.id)
        await #expect(throws: EtcdError.self) { try await client.put("/x", [], lease: lease.id) }
        do {
            try await client.put("/x", [], lease: lease.id)
        } catch {
            #expect(error.code == .leaseNotFound)
        }
        #expect(try await client.delete("/pool/members/m2") == 1)
        #expect(try await client.delete("/pool/members/m2") == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aLeaseNotRenewedExpiresWithItsKey() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let client = try client(etcd)
        let lease = try await client.grantLease(ttl: .seconds(2))
        #expect(try await client.create("/p/members/a", [], lease: lease.id))
        try await eventually("lease expiry", timeout: .seconds(10), interval: .milliseconds(200)) {
            try await client.get("/p/members/a") == nil
        }
        #expect(try await client.keepAlive(lease: lease.id) == nil)
    }

    @Test(.timeLimit(.minutes(1))) func aDeadEndpointIsSkippedAndNoLiveOneIsUnreachable() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let dead = try Endpoint.parse("127.0.0.1:\(try FreePort.pick())").get()
        let client = try client(etcd, extra: [dead])
        try await client.put("/k", Array("v".utf8))
        #expect(try await client.get("/k")?.text == "v")
        let nothing = EtcdClient(endpoints: [dead], transport: DefaultTransport(), timeout: .seconds(1))
        do {
            _ = try await nothing.range(prefix: "/")
            Issue.record("a range with no live endpoint succeeded")
        } catch {
            #expect(error.code == .unreachable)
            #expect(error.message.contains(dead.origin))
        }
    }

    @Test(.timeLimit(.minutes(1))) func aWatchStreamsChangesUntilItsTimeIsUpOrItIsCancelled() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let client = try client(etcd)
        let seen = SeenEvents()
        let watch = Task { try await client.watch(prefix: "/w/", duration: .seconds(30)) { seen.add($0) } }
        // The watch starts from "now": put until it reports (it is created within milliseconds).
        try await eventually("a put is reported", timeout: .seconds(10), interval: .milliseconds(100)) {
            try await client.put("/w/a", Array("1".utf8))
            return seen.total > 0
        }
        let before = seen.total
        try await client.put("/w/b", Array("2".utf8))
        try await client.delete("/w/a")
        try await eventually("two more events", timeout: .seconds(10), interval: .milliseconds(20)) {
            seen.total >= before + 2
        }
        watch.cancel()
        try await watch.value
        // A watch whose time is up returns without an error.
        try await client.watch(prefix: "/w/", duration: .milliseconds(500)) { _ in }
    }
}

/// Events a watch reported, from the transport's thread.
final class SeenEvents: Sendable {
    private let count = Mutex(0)
    func add(_ events: Int) { count.withLock { $0 += events } }
    var total: Int { count.withLock { $0 } }
}
