import Expvastic
import Testing

/// Which started targets catch up: only those a share took over, never those of the first selection
/// or new ones.
@Suite struct TakeoversTests {
    func id(_ n: Int) -> TargetID { TargetID(reader: "api", endpoint: "http://10.0.0.\(n):8080/debug/vars") }

    @Test func theFirstSelectionAndNewTargetsAreNotTakeovers() {
        var takeovers = Takeovers()
        takeovers.select([id(1)], of: [id(1), id(2)])
        #expect(takeovers.pending.isEmpty)
        // id(3) is new to the desired state (discovered now) and selected: it starts on its grid.
        takeovers.select([id(1), id(3)], of: [id(1), id(2), id(3)])
        #expect(takeovers.pending.isEmpty)
        let catchesUp = takeovers.starting(id(3))
        #expect(!catchesUp)
    }

    @Test func aTargetDesiredBeforeButNotSelectedIsTakenOverOnce() {
        var takeovers = Takeovers()
        takeovers.select([id(1)], of: [id(1), id(2)])
        takeovers.select([id(1), id(2)], of: [id(1), id(2)])
        #expect(takeovers.pending == [id(2)])
        // A selection while its engine has not started yet (an old one still ending) keeps it pending.
        takeovers.select([id(1), id(2)], of: [id(1), id(2)])
        #expect(takeovers.pending == [id(2)])
        let starts = [takeovers.starting(id(1)), takeovers.starting(id(2)), takeovers.starting(id(2))]
        #expect(starts == [false, true, false])
    }

    @Test func aTakeoverThatIsDeselectedBeforeItStartsIsForgotten() {
        var takeovers = Takeovers()
        takeovers.select([id(1)], of: [id(1), id(2)])
        takeovers.select([id(1), id(2)], of: [id(1), id(2)])
        takeovers.select([id(1)], of: [id(1), id(2)])
        #expect(takeovers.pending.isEmpty)
        let catchesUp = takeovers.starting(id(2))
        #expect(!catchesUp)
    }

    @Test func aMemberThatLeavesHandsExactlyItsTargetsToTheOthersAsTakeovers() {
        // Three members share 90 targets; m2 leaves. m1 takes over exactly those of m2's targets the
        // hash gives it now, and nothing else.
        let targets = Set((1...90).map(id))
        var share = PoolShare(member: "m1", handoverNanos: 5_000_000_000)
        var takeovers = Takeovers()
        _ = share.update(members: ["m1", "m2", "m3"], nowNanos: 0)
        takeovers.select(targets.filter(share.runs), of: targets)
        let left = share.update(members: ["m1", "m3"], nowNanos: 1_000)
        #expect(left)
        takeovers.select(targets.filter(share.runs), of: targets)
        let fromM2 = targets.filter {
            Rendezvous.owner(of: $0, among: ["m1", "m2", "m3"]) == "m2"
                && Rendezvous.owner(of: $0, among: ["m1", "m3"]) == "m1"
        }
        #expect(!fromM2.isEmpty)
        #expect(takeovers.pending == fromM2)
        // A fourth member joining takes targets from m1: nothing is taken over by m1.
        for target in fromM2 { _ = takeovers.starting(target) }
        let joined = share.update(members: ["m1", "m3", "m4"], nowNanos: 2_000)
        #expect(joined)
        takeovers.select(targets.filter(share.runs), of: targets)
        #expect(takeovers.pending.isEmpty)
    }
}
