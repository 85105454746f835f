/// Rendezvous (highest-random-weight) hashing: a target belongs to the member whose
/// ``StableHash`` weight for (member, target) is highest. Every process computes the same owner from
/// the same member list, and a change of the list moves only the targets the change concerns: a
/// joining member takes those for which it now has the highest weight (about 1/N), a leaving
/// member's targets go to each one's second choice, and no target moves between two members that
/// stay (their weights for it do not change).
public enum Rendezvous {
    /// The weight of `member` for the target of `reader` at `endpoint`.
    public static func weight(member: String, reader: String, endpoint: String) -> UInt64 {
        StableHash.mixed64(member, reader, endpoint)
    }

    /// The member that owns `target` among `members` (nil when there are none); equal weights go to
    /// the smaller name, so the answer does not depend on the order of `members`.
    public static func owner(of target: TargetID, among members: some Sequence<String>) -> String? {
        var best: (member: String, weight: UInt64)?
        for member in members {
            let weight = weight(member: member, reader: target.reader, endpoint: target.endpoint)
            if let current = best, current.weight > weight || (current.weight == weight && current.member < member) {
                continue
            }
            best = (member, weight)
        }
        return best?.member
    }
}
