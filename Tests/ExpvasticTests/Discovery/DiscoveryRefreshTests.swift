import Expvastic
import Testing

/// The refresh machine with no I/O.
@Suite struct DiscoveryRefreshTests {
    let second: UInt64 = 1_000_000_000
    let a = DiscoveredTarget(address: "10.0.0.1:80")
    let b = DiscoveredTarget(address: "10.0.0.2:80", labels: ["zone": "b", "__meta_dns_name": "x"])
    let failure = DiscoveryError(code: "dns_timeout", message: "no answer")

    @Test func publishesOnlyChangesAndAsksAgainAfterRefreshOrTheShorterTTL() {
        var machine = DiscoveryRefresh(refreshNanos: 30 * second, startNanos: 0)
        #expect(machine.nextRefreshNanos == 0)
        #expect(machine.health == nil)
        #expect(machine.answered(DiscoveryAnswer(targets: [a]), atNanos: 0) == [.publish([a])])
        #expect(machine.nextRefreshNanos == 30 * second)
        #expect(
            machine.answered(DiscoveryAnswer(targets: [a], validForNanos: 5 * second), atNanos: 30 * second).isEmpty)
        #expect(machine.nextRefreshNanos == 35 * second)
        // A TTL of 0 is used for at least a second; one longer than refresh is capped by it.
        _ = machine.answered(DiscoveryAnswer(targets: [a], validForNanos: 0), atNanos: 40 * second)
        #expect(machine.nextRefreshNanos == 41 * second)
        _ = machine.answered(DiscoveryAnswer(targets: [a], validForNanos: 3600 * second), atNanos: 50 * second)
        #expect(machine.nextRefreshNanos == 80 * second)
        #expect(machine.health == .ok)
    }

    @Test func aFailureKeepsTheLastGoodSetAndIsReportedOncePerTransition() {
        var machine = DiscoveryRefresh(refreshNanos: 10 * second, startNanos: 0)
        _ = machine.answered(DiscoveryAnswer(targets: [a, b]), atNanos: 0)
        #expect(machine.failed(failure, atNanos: 10 * second) == [.startedFailing(failure)])
        #expect(machine.failed(failure, atNanos: 20 * second).isEmpty)
        #expect(machine.failed(failure, atNanos: 30 * second).isEmpty)
        #expect(machine.health == .degraded)
        #expect(machine.published == [a, b])
        #expect(machine.nextRefreshNanos == 40 * second)
        // Recovery with the same set publishes nothing new; a changed set is published.
        #expect(machine.answered(DiscoveryAnswer(targets: [a, b]), atNanos: 40 * second) == [.recovered(failures: 3)])
        #expect(machine.answered(DiscoveryAnswer(targets: [b]), atNanos: 50 * second) == [.publish([b])])
        #expect(machine.health == .ok)
    }

    @Test func aStaticListIsAskedOnce() {
        var machine = DiscoveryRefresh(refreshNanos: nil, startNanos: 7)
        #expect(machine.nextRefreshNanos == 7)
        _ = machine.answered(DiscoveryAnswer(targets: [a]), atNanos: 7)
        #expect(machine.nextRefreshNanos == nil)
    }

    @Test func metaLabelsAreNotKept() {
        #expect(b.labels == ["zone": "b"])
    }
}
