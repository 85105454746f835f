import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Which targets one pool member runs, as a pure value: those ``Rendezvous`` gives it among the
/// members it sees now, plus, for a handover period after each change of that list, those it had
/// before the change (make before break). A member that loses targets to another keeps polling
/// them until the other has surely started (it learns of the change within one membership
/// refresh and polls within one interval): both poll for a while, and the slot-based document ids
/// make their two documents for one interval the same document, so nothing is missed.
///
/// A `self` reader's target (its own metrics) belongs to every member.
public struct PoolShare: Sendable, Equatable {
    /// A list of members the share still honours until `untilNanos` (monotonic).
    package struct Fading: Sendable, Equatable {
        package var members: [Rendezvous.Member]
        package var untilNanos: UInt64
    }

    /// This member's name.
    public let member: String
    /// How long targets that moved away are still run.
    public let handoverNanos: UInt64
    /// The members seen now, sorted, this one included; empty until the first ``update(members:nowNanos:)``.
    public private(set) var members: [String] = []
    private var seeded: [Rendezvous.Member] = []
    private(set) package var fading: [Fading] = []

    public init(member: String, handoverNanos: UInt64) {
        self.member = member
        self.handoverNanos = handoverNanos
    }

    /// A new list of live members (this one is added when missing). Returns true when it differs
    /// from the current one. The first list is taken as it is; later ones keep the previous list
    /// for the handover period.
    public mutating func update(members seen: some Sequence<String>, nowNanos: UInt64) -> Bool {
        let next = Array(Set(seen).union([member])).sorted()
        guard next != members else { return false }
        if !members.isEmpty { fading.append(Fading(members: seeded, untilNanos: nowNanos &+ handoverNanos)) }
        members = next
        seeded = next.map(Rendezvous.Member.init)
        return true
    }

    /// Forgets the lists whose handover period is over. Returns true when one was forgotten (the
    /// share may be smaller now).
    public mutating func expire(nowNanos: UInt64) -> Bool {
        let before = fading.count
        fading.removeAll { $0.untilNanos <= nowNanos }
        return fading.count != before
    }

    /// When the next handover period ends, nil when none is running.
    public var nextExpiryNanos: UInt64? { fading.map(\.untilNanos).min() }

    /// Whether this member runs `target` now.
    public func runs(_ target: TargetID) -> Bool {
        if target.isSelfReader { return true }
        let key = Rendezvous.key(of: target)
        if Rendezvous.owner(key: key, among: seeded) == member { return true }
        return fading.contains { Rendezvous.owner(key: key, among: $0.members) == member }
    }

    /// The target's owner among the current members (nil before the first list).
    public func owner(of target: TargetID) -> String? {
        Rendezvous.owner(key: Rendezvous.key(of: target), among: seeded)
    }
}
