import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Rendezvous (highest-random-weight) hashing: a target belongs to the member whose weight for
/// (member, target) is highest. Every process computes the same owner from the same member list,
/// and a change of the list moves only the targets the change concerns: a joining member takes
/// those for which it now has the highest weight (about 1/N), a leaving member's targets go to each
/// one's second choice, and no target moves between two members that stay (their weights for it do
/// not change).
///
/// Weights come from ``StableHash``: the target's key is the hash of its identity (job and endpoint,
/// the same hash that places its polls on the grid), each member's seed the hash of its name, and
/// the weight ``StableHash/mix(_:)`` of their sum; so a share of 10,000 targets costs one string
/// hash per target, not one per (member, target).
public enum Rendezvous {
    /// A member with its seed.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var seed: UInt64

        public init(_ name: String) {
            self.name = name
            seed = StableHash.mixed64(name)
        }
    }

    /// The key of `target`: a stable hash of its job and endpoint.
    public static func key(of target: TargetID) -> UInt64 {
        StableHash.mixed64(target.reader, target.endpoint)
    }

    /// The weight of a member (by its seed) for a target (by its key).
    public static func weight(seed: UInt64, key: UInt64) -> UInt64 {
        StableHash.mix(seed &+ key)
    }

    /// The member that owns the target with `key` among `members` (nil when there are none); equal
    /// weights go to the smaller name, so the answer does not depend on the order of `members`.
    public static func owner(key: UInt64, among members: [Member]) -> String? {
        var best: (name: String, weight: UInt64)?
        for member in members {
            let weight = weight(seed: member.seed, key: key)
            if let current = best, current.weight > weight || (current.weight == weight && current.name < member.name) {
                continue
            }
            best = (member.name, weight)
        }
        return best?.name
    }

    /// The member that owns `target` among the members named.
    public static func owner(of target: TargetID, among names: some Sequence<String>) -> String? {
        owner(key: key(of: target), among: names.map(Member.init))
    }
}
