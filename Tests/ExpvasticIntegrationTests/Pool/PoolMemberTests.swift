import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Pool members in one process against a real single-member etcd: joining, a name already held,
/// a share that follows the member list, leaving.
@Suite struct PoolMemberTests {
    static let targets = (0..<40).map { TargetID(reader: "api", endpoint: "http://127.0.0.1:\(9000 + $0)/debug/vars") }

    func member(_ name: String, _ etcd: EtcdCluster, registry: MetricsRegistry = MetricsRegistry()) throws -> PoolMember
    {
        var cluster = ClusterConfiguration(endpoints: [try Endpoint.parse(etcd.clientURLs[0]).get()])
        cluster.prefix = "/test/pool/"
        cluster.leaseTTL = .seconds(2)
        return PoolMember(
            member: name, cluster: cluster, handover: .milliseconds(500),
            client: EtcdClient(endpoints: cluster.endpoints, transport: DefaultTransport(), timeout: .seconds(2)),
            clock: SystemClock(), metrics: registry,
            logger: Logger(component: "test", level: .error, handler: InMemoryLogHandler()))
    }

    @Test(.timeLimit(.minutes(1))) func membersJoinShareAndLeave() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let registry = MetricsRegistry()
        let first = try member("m1", etcd, registry: registry)
        #expect(await first.join(timeout: .seconds(10)) == .joined(["m1"]))
        #expect(first.select(Self.targets) == Set(Self.targets))
        let second = try member("m2", etcd)
        #expect(await second.join(timeout: .seconds(10)) == .joined(["m1", "m2"]))
        let run = Task { try await first.run() }
        // m1 sees m2 within a refresh, keeps its old share for the handover, then only its own.
        let mine = Set(Self.targets.filter { Rendezvous.owner(of: $0, among: ["m1", "m2"]) == "m1" })
        try await eventually("m1 narrowed to its share", timeout: .seconds(10), interval: .milliseconds(100)) {
            first.select(Self.targets) == mine
        }
        #expect(Set(second.select(Self.targets)) == Set(Self.targets).subtracting(mine))
        #expect(first.members.map(\.name) == ["m1", "m2"])
        #expect(first.members.map(\.targets).reduce(0, +) == Self.targets.count)
        #expect(registry.value(MetricKey("cluster.members")) == .gauge(2))
        #expect(registry.value(MetricKey("cluster.owned_targets")) == .gauge(Double(mine.count)))
        #expect(registry.value(MetricKey("cluster.rebalances")) == .counter(1))
        #expect(first.health == .ok)
        // m2 leaves: its key is gone at once, and m1 runs every target again.
        await second.leave()
        try await eventually("m1 alone", timeout: .seconds(10), interval: .milliseconds(100)) {
            first.select(Self.targets) == Set(Self.targets)
        }
        run.cancel()
    }

    @Test(.timeLimit(.minutes(1))) func aNameHeldByALiveMemberIsRefused() async throws {
        let etcd = try await EtcdCluster(size: 1)
        let holder = try member("same", etcd)
        #expect(await holder.join(timeout: .seconds(10)) == .joined(["same"]))
        let run = Task { try await holder.run() }
        let copy = try member("same", etcd)
        #expect(await copy.join(timeout: .seconds(10)) == .nameInUse)
        run.cancel()
    }

    @Test(.timeLimit(.minutes(1))) func withoutEtcdAMemberStartsAloneAndRunsEveryTarget() async throws {
        var cluster = ClusterConfiguration(endpoints: [try Endpoint.parse("127.0.0.1:\(try FreePort.pick())").get()])
        cluster.leaseTTL = .seconds(2)
        let lonely = PoolMember(
            member: "m1", cluster: cluster, handover: .milliseconds(500),
            client: EtcdClient(endpoints: cluster.endpoints, transport: DefaultTransport(), timeout: .seconds(1)),
            clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "test", level: .error, handler: InMemoryLogHandler()))
        guard case .alone = await lonely.join(timeout: .seconds(1)) else {
            Issue.record("joined without etcd")
            return
        }
        #expect(lonely.select(Self.targets) == Set(Self.targets))
        #expect(lonely.health == .degraded)
    }
}
