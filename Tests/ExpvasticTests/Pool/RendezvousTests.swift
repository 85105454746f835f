import Testing

@testable import Expvastic

/// Rendezvous hashing over the project's StableHash: balance, order independence, and that a join or
/// a leave moves only the targets the change concerns.
@Suite struct RendezvousTests {
    static let targets = (0..<2_000).map {
        TargetID(reader: "api", endpoint: "http://10.0.\($0 / 250).\($0 % 250):8080/debug/vars")
    }

    static func owners(_ members: [String]) -> [TargetID: String] {
        var owners: [TargetID: String] = [:]
        for target in targets { owners[target] = Rendezvous.owner(of: target, among: members) }
        return owners
    }

    @Test(arguments: [["m1", "m2", "m3"], ["m1", "m2", "m3", "m4"], ["pool-a-0", "pool-a-1"]])
    func sharesAreWithinTenPercentOfOneNth(members: [String]) {
        var counts: [String: Int] = [:]
        for owner in Self.owners(members).values { counts[owner, default: 0] += 1 }
        let ideal = Double(Self.targets.count) / Double(members.count)
        for member in members {
            let share = Double(counts[member] ?? 0)
            #expect(abs(share - ideal) / ideal < 0.10, "\(member): \(share) of ideal \(ideal)")
        }
    }

    @Test func theOwnerDoesNotDependOnTheOrderOfTheMembers() {
        for target in Self.targets.prefix(500) {
            #expect(
                Rendezvous.owner(of: target, among: ["m1", "m2", "m3"])
                    == Rendezvous.owner(of: target, among: ["m3", "m1", "m2"]))
        }
        #expect(Rendezvous.owner(of: Self.targets[0], among: [String]()) == nil)
    }

    @Test func aJoinMovesAboutAQuarterAllToTheNewcomerAndNoneBetweenTheOthers() {
        let before = Self.owners(["m1", "m2", "m3"])
        let after = Self.owners(["m1", "m2", "m3", "m4"])
        let moved = Self.targets.filter { before[$0] != after[$0] }
        #expect(moved.allSatisfy { after[$0] == "m4" })
        #expect(moved.count == after.values.count { $0 == "m4" })
        let fraction = Double(moved.count) / Double(Self.targets.count)
        #expect(fraction > 0.22 && fraction < 0.28, "moved \(moved.count) of \(Self.targets.count)")
    }

    @Test func aLeaveMovesOnlyTheLeaversTargets() {
        let before = Self.owners(["m1", "m2", "m3", "m4"])
        let after = Self.owners(["m1", "m3", "m4"])
        for target in Self.targets {
            if before[target] == "m2" {
                #expect(after[target] != "m2")
            } else {
                #expect(after[target] == before[target])
            }
        }
    }
}
