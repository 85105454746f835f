import Testing

@testable import Expvastic

/// The membership machine, driven request by request with no etcd and no clock.
@Suite struct MembershipTests {
    static let second: UInt64 = 1_000_000_000

    /// TTL 3 s, refresh 1 s.
    func machine() -> Membership { Membership(member: "m1", ttlNanos: 3 * Self.second, refreshNanos: Self.second) }

    /// Joins at time 0 with lease 7 and members m1, m2.
    func joined() -> Membership {
        var membership = machine()
        _ = membership.next(nowNanos: 0)
        _ = membership.handle(.granted(lease: 7, ttlNanos: 3 * Self.second), nowNanos: 0)
        _ = membership.next(nowNanos: 0)
        _ = membership.handle(.claimed(true), nowNanos: 0)
        _ = membership.next(nowNanos: 0)
        _ = membership.handle(.listed(["m1", "m2"]), nowNanos: 0)
        return membership
    }

    @Test func joiningGrantsClaimsAndLists() {
        var membership = machine()
        let step1 = membership.next(nowNanos: 0)
        #expect(step1 == .grant)
        let step2 = membership.handle(.granted(lease: 7, ttlNanos: 3 * Self.second), nowNanos: 0)
        #expect(step2 == [])
        let step3 = membership.next(nowNanos: 0)
        #expect(step3 == .claim(lease: 7))
        let step4 = membership.handle(.claimed(true), nowNanos: 0)
        #expect(step4 == [.joined])
        let step5 = membership.next(nowNanos: 0)
        #expect(step5 == .list)
        let step6 = membership.handle(.listed(["m2", "m3"]), nowNanos: 0)
        #expect(step6 == [.view(["m1", "m2", "m3"])])
        let step7 = membership.next(nowNanos: 0)
        #expect(step7 == nil)
        #expect(membership.wakeNanos == Self.second)
    }

    @Test func renewalsAreNeverFurtherApartThanAThirdOfTheTTLWhenAnswersTakeTime() {
        // TTL 3 s, refresh 1 s, every answer 40 ms after its request: a renewal every round (renewing
        // every other round would leave 2 s between renewals, a third of the TTL being 1 s).
        var membership = Membership(member: "m1", ttlNanos: 3 * Self.second, refreshNanos: Self.second)
        var renewals: [UInt64] = []
        for second in 0..<6 {
            var now = UInt64(second) * Self.second
            while let request = membership.next(nowNanos: now) {
                now += 40_000_000
                switch request {
                case .grant:
                    renewals.append(now)
                    _ = membership.handle(.granted(lease: 7, ttlNanos: 3 * Self.second), nowNanos: now)
                case .claim: _ = membership.handle(.claimed(true), nowNanos: now)
                case .keepAlive:
                    renewals.append(now)
                    _ = membership.handle(.keptAlive(true), nowNanos: now)
                case .list: _ = membership.handle(.listed(["m1"]), nowNanos: now)
                }
            }
        }
        #expect(renewals.count == 6)
        let widest = zip(renewals.dropFirst(), renewals).map { $0 - $1 }.max()!
        #expect(widest <= Self.second)
    }

    @Test func eachRoundListsAndRenewsTheLeaseEveryThirdOfItsTTL() {
        // TTL 6 s, refresh 1 s: a renewal every other round.
        var membership = Membership(member: "m1", ttlNanos: 6 * Self.second, refreshNanos: Self.second)
        var requests: [Membership.Request] = []
        for second in 0..<7 {
            let now = UInt64(second) * Self.second
            while let request = membership.next(nowNanos: now) {
                requests.append(request)
                switch request {
                case .grant: _ = membership.handle(.granted(lease: 7, ttlNanos: 6 * Self.second), nowNanos: now)
                case .claim: _ = membership.handle(.claimed(true), nowNanos: now)
                case .keepAlive: _ = membership.handle(.keptAlive(true), nowNanos: now)
                case .list: _ = membership.handle(.listed(["m1"]), nowNanos: now)
                }
            }
        }
        let keepAlive = Membership.Request.keepAlive(lease: 7)
        #expect(
            requests == [
                .grant, .claim(lease: 7), .list, .list, keepAlive, .list, .list, keepAlive, .list, .list, keepAlive,
                .list,
            ])
    }

    @Test func aFailureIsReportedOnceAndKeepsTheLastList() {
        var membership = joined()
        _ = membership.next(nowNanos: Self.second)
        let step14 = membership.handle(.failed("refused"), nowNanos: Self.second)
        #expect(step14 == [.degraded("refused")])
        #expect(membership.view == ["m1", "m2"])
        let step15 = membership.next(nowNanos: Self.second)
        #expect(step15 == nil)
        _ = membership.next(nowNanos: 2 * Self.second)
        let step16 = membership.handle(.failed("refused"), nowNanos: 2 * Self.second)
        #expect(step16 == [])
        #expect(membership.isDegraded)
        #expect(membership.view == ["m1", "m2"])
    }

    @Test func aMemberCutOffForLongerThanItsTTLAsksEtcdWhetherItsLeaseLivesAndJoinsAgainIfNot() {
        var membership = joined()
        for second in 1...5 {
            let now = UInt64(second) * Self.second
            let next = membership.next(nowNanos: now)
            #expect(next == .keepAlive(lease: 7))
            _ = membership.handle(.failed("timeout"), nowNanos: now)
        }
        #expect(membership.view == ["m1", "m2"])
        let retry = membership.next(nowNanos: 6 * Self.second)
        #expect(retry == .keepAlive(lease: 7))
        let gone = membership.handle(.keptAlive(false), nowNanos: 6 * Self.second)
        #expect(gone == [.recovered, .leaseLost])
        let grant = membership.next(nowNanos: 6 * Self.second)
        #expect(grant == .grant)
        _ = membership.handle(.granted(lease: 8, ttlNanos: 3 * Self.second), nowNanos: 6 * Self.second)
        let claim = membership.next(nowNanos: 6 * Self.second)
        #expect(claim == .claim(lease: 8))
    }

    @Test func aLeaseThatOutlivedTheOutageIsKept() {
        var membership = joined()
        for second in 1...5 {
            _ = membership.next(nowNanos: UInt64(second) * Self.second)
            _ = membership.handle(.failed("timeout"), nowNanos: UInt64(second) * Self.second)
        }
        _ = membership.next(nowNanos: 6 * Self.second)
        let renewed = membership.handle(.keptAlive(true), nowNanos: 6 * Self.second)
        #expect(renewed == [.recovered])
        let list = membership.next(nowNanos: 6 * Self.second)
        #expect(list == .list)
        #expect(membership.lease == 7 && membership.claimed)
    }

    @Test func aLeaseEtcdNoLongerKnowsIsReplacedAtOnce() {
        var membership = joined()
        let step19 = membership.next(nowNanos: Self.second)
        #expect(step19 == .keepAlive(lease: 7))
        let step20 = membership.handle(.keptAlive(false), nowNanos: Self.second)
        #expect(step20 == [.leaseLost])
        let step21 = membership.next(nowNanos: Self.second)
        #expect(step21 == .grant)
    }

    @Test func aNameHeldByAnotherLeaseIsReportedOnceAfterOneTTL() {
        var membership = machine()
        _ = membership.next(nowNanos: 0)
        _ = membership.handle(.granted(lease: 7, ttlNanos: 3 * Self.second), nowNanos: 0)
        var notices: [Membership.Notice] = []
        for tenth in 0..<60 {
            let now = UInt64(tenth) * Self.second / 10
            guard let request = membership.next(nowNanos: now) else { continue }
            switch request {
            case .claim: notices += membership.handle(.claimed(false), nowNanos: now)
            case .grant: notices += membership.handle(.granted(lease: 9, ttlNanos: 3 * Self.second), nowNanos: now)
            default: Issue.record("unexpected \(request)")
            }
        }
        #expect(notices == [.nameInUse])
        #expect(!membership.claimed)
        #expect(membership.view == nil)
        // Reported: joining stops waiting for the name (and the command exits).
        #expect(!membership.isWaitingForName)
    }

    @Test func aHeldNameIsWaitedForUntilItIsFreedOrReported() {
        var membership = machine()
        #expect(!membership.isWaitingForName)
        #expect(membership.next(nowNanos: 0) == .grant)
        _ = membership.handle(.granted(lease: 9, ttlNanos: 3 * Self.second), nowNanos: 0)
        #expect(membership.next(nowNanos: 0) == .claim(lease: 9))
        #expect(membership.handle(.claimed(false), nowNanos: 0) == [])
        #expect(membership.isWaitingForName)
        // The previous holder's lease expired: the name is ours.
        #expect(membership.next(nowNanos: 2 * Self.second) == .claim(lease: 9))
        #expect(membership.handle(.claimed(true), nowNanos: 2 * Self.second) == [.joined])
        #expect(!membership.isWaitingForName)
    }

    @Test func aListOlderThanOneAlreadyTakenIsIgnored() {
        var membership = joined()
        let newer = membership.handle(.listed(["m1", "m2", "m3"], revision: 20), nowNanos: Self.second)
        #expect(newer == [.view(["m1", "m2", "m3"])])
        // A read that started earlier and answered later (revision 12) must not bring m3's absence back.
        let older = membership.handle(.listed(["m1", "m2"], revision: 12), nowNanos: Self.second)
        #expect(older == [])
        #expect(membership.view == ["m1", "m2", "m3"])
        let next = membership.handle(.listed(["m1", "m3"], revision: 25), nowNanos: Self.second)
        #expect(next == [.view(["m1", "m3"])])
    }
}
