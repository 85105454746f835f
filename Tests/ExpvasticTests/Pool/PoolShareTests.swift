import Testing

@testable import Expvastic

/// Which targets a member runs as the member list changes: its own at once, those it gives away
/// until the handover period ends.
@Suite struct PoolShareTests {
    static let targets = (0..<300).map { TargetID(reader: "api", endpoint: "http://127.0.0.1:\(9000 + $0)/debug/vars") }
    static let second: UInt64 = 1_000_000_000

    func running(_ share: PoolShare) -> Set<TargetID> { Set(Self.targets.filter { share.runs($0) }) }

    func owned(by member: String, among members: [String]) -> Set<TargetID> {
        Set(Self.targets.filter { Rendezvous.owner(of: $0, among: members) == member })
    }

    @Test func nothingRunsBeforeTheFirstListAndTheFirstListIsTakenAsItIs() {
        var share = PoolShare(member: "m1", handoverNanos: 3 * Self.second)
        #expect(running(share).isEmpty)
        let step1 = share.update(members: ["m2", "m1", "m3"], nowNanos: 0)
        #expect(step1)
        #expect(share.members == ["m1", "m2", "m3"])
        #expect(running(share) == owned(by: "m1", among: ["m1", "m2", "m3"]))
        #expect(share.nextExpiryNanos == nil)
        let step2 = share.update(members: ["m3", "m2", "m1"], nowNanos: Self.second)
        #expect(!step2)
    }

    @Test func aListWithoutThisMemberStillCountsIt() {
        var share = PoolShare(member: "m1", handoverNanos: 0)
        _ = share.update(members: ["m2"], nowNanos: 0)
        #expect(share.members == ["m1", "m2"])
    }

    @Test func targetsGivenToANewcomerRunUntilTheHandoverEnds() {
        var share = PoolShare(member: "m1", handoverNanos: 3 * Self.second)
        _ = share.update(members: ["m1", "m2", "m3"], nowNanos: 0)
        let before = running(share)
        let step3 = share.update(members: ["m1", "m2", "m3", "m4"], nowNanos: 10 * Self.second)
        #expect(step3)
        let mine = owned(by: "m1", among: ["m1", "m2", "m3", "m4"])
        #expect(mine.isSubset(of: before) && mine.count < before.count)
        // During the handover: the old share (which includes the new one).
        #expect(running(share) == before)
        #expect(share.nextExpiryNanos == 13 * Self.second)
        let step4 = share.expire(nowNanos: 12 * Self.second)
        #expect(!step4)
        #expect(running(share) == before)
        let step5 = share.expire(nowNanos: 13 * Self.second)
        #expect(step5)
        #expect(running(share) == mine)
        #expect(share.nextExpiryNanos == nil)
    }

    @Test func targetsOfALeaverRunAtOnce() {
        var share = PoolShare(member: "m1", handoverNanos: 3 * Self.second)
        _ = share.update(members: ["m1", "m2", "m3"], nowNanos: 0)
        _ = share.update(members: ["m1", "m3"], nowNanos: Self.second)
        #expect(running(share) == owned(by: "m1", among: ["m1", "m3"]))
    }

    @Test func everyListOfTheHandoverPeriodCounts() {
        var share = PoolShare(member: "m1", handoverNanos: 3 * Self.second)
        _ = share.update(members: ["m1"], nowNanos: 0)
        _ = share.update(members: ["m1", "m2"], nowNanos: Self.second)
        _ = share.update(members: ["m1", "m2", "m3"], nowNanos: 2 * Self.second)
        #expect(running(share).count == Self.targets.count)
        _ = share.expire(nowNanos: 4 * Self.second)
        #expect(running(share) == owned(by: "m1", among: ["m1", "m2"]))
        _ = share.expire(nowNanos: 5 * Self.second)
        #expect(running(share) == owned(by: "m1", among: ["m1", "m2", "m3"]))
    }

    @Test func aSelfReaderRunsInEveryMember() {
        var share = PoolShare(member: "m1", handoverNanos: 0)
        _ = share.update(members: (1...50).map { "m\($0)" }, nowNanos: 0)
        #expect(share.runs(TargetID(reader: "self", endpoint: "self")))
    }
}
