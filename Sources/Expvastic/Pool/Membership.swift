import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// One pool member's membership in etcd, as a pure state machine: it says which request to make
/// next (``next(nowNanos:)``), is told the answer (``handle(_:nowNanos:)``) and says what changed
/// (``Notice``). The shell (`PoolMember`) makes the requests; tests drive it with no I/O.
///
/// A round every `refresh`: without a lease, grant one and claim the member key with it (created
/// only if absent: a name held by another live lease is not taken over); with one, renew it when a
/// third of its TTL has passed since the last renewal, then list the members. A failed request ends
/// the round; the first failure after a success is reported once as ``Notice/degraded(_:)``, the
/// first success after it as ``Notice/recovered``. The view of the members is never emptied by a
/// failure: the last list stays until etcd answers again. Only etcd decides that a lease is gone
/// (a renewal answers that it does not exist): a lease outlives a leader election and a restart of
/// the whole etcd cluster (etcd extends its leases when a new leader takes over), so a member that
/// was cut off for longer than its TTL may find its lease and key still there and go on with them.
public struct Membership: Sendable, Equatable {
    /// What to ask etcd.
    public enum Request: Sendable, Equatable {
        case grant
        /// Create the member key with this lease, only if the key is absent.
        case claim(lease: Int64)
        case keepAlive(lease: Int64)
        /// Range the members prefix.
        case list
    }

    /// What etcd answered.
    public enum Response: Sendable, Equatable {
        case granted(lease: Int64, ttlNanos: UInt64)
        /// The key was created (true) or was already there (false).
        case claimed(Bool)
        /// The lease was renewed (true) or does not exist any more (false).
        case keptAlive(Bool)
        /// The names under the members prefix, read at `revision` (0: unknown). A list older than
        /// one already taken (a read that overtook it) is ignored.
        case listed([String], revision: Int64 = 0)
        /// No answer (every endpoint failed), or an error answer.
        case failed(String)
    }

    /// What changed, for the shell to act on and log.
    public enum Notice: Sendable, Equatable {
        /// The member list changed (sorted, this member included).
        case view([String])
        /// The first failure after a success: etcd is away or refusing.
        case degraded(String)
        /// The first success after a failure.
        case recovered
        /// The lease expired or was not renewed in time: the member joins again.
        case leaseLost
        /// Another live lease has held this member's name for longer than one TTL.
        case nameInUse
        /// The member key was created: this member is in the pool.
        case joined
    }

    public let member: String
    public let refreshNanos: UInt64
    /// The TTL asked for; the granted one (``ttlNanos``) replaces it.
    public private(set) var ttlNanos: UInt64
    public private(set) var lease: Int64?
    /// Whether the member key is ours (created with ``lease``).
    public private(set) var claimed = false
    public private(set) var isDegraded = false
    /// The last member list, nil before the first.
    public private(set) var view: [String]?
    private var lastRenewalNanos: UInt64 = 0
    private var nextRoundNanos: UInt64 = 0
    private var queue: [Request] = []
    private var nameHeldSinceNanos: UInt64?
    /// Another live lease holds this member's name, and it is not yet reported as taken (it may be
    /// a killed previous run of this member whose lease has not expired yet).
    public var isWaitingForName: Bool { nameHeldSinceNanos != nil && !reportedNameInUse }
    private var listRevision: Int64 = 0
    private var reportedNameInUse = false

    public init(member: String, ttlNanos: UInt64, refreshNanos: UInt64) {
        precondition(ttlNanos > 0 && refreshNanos > 0, "a membership needs a positive TTL and refresh")
        self.member = member
        self.ttlNanos = ttlNanos
        self.refreshNanos = refreshNanos
    }

    /// When the next round starts (monotonic nanoseconds).
    public var wakeNanos: UInt64 { nextRoundNanos }

    /// The next request of the current round, starting a round when one is due; nil when there is
    /// nothing to do before ``wakeNanos``.
    public mutating func next(nowNanos: UInt64) -> Request? {
        if queue.isEmpty, nowNanos >= nextRoundNanos {
            nextRoundNanos = nowNanos &+ refreshNanos
            switch (lease, claimed) {
            case (nil, _): queue = [.grant]
            case (let lease?, false): queue = [.claim(lease: lease)]
            case (let lease?, true):
                // Renewed now unless the next round is still within a third of the TTL of the last
                // renewal (measured at its answer, so a round that waits would renew late: with a
                // 3 s TTL every 2 s, one slow answer from losing the lease).
                let renew = nowNanos &- lastRenewalNanos &+ refreshNanos > ttlNanos / 3
                queue = renew ? [.keepAlive(lease: lease), .list] : [.list]
            }
        }
        return queue.isEmpty ? nil : queue.removeFirst()
    }

    /// Takes etcd's answer to the request ``next(nowNanos:)`` gave last.
    public mutating func handle(_ response: Response, nowNanos: UInt64) -> [Notice] {
        var notices: [Notice] = []
        if case .failed(let reason) = response {
            queue = []
            if !isDegraded {
                isDegraded = true
                notices.append(.degraded(reason))
            }
            return notices
        }
        if isDegraded {
            isDegraded = false
            notices.append(.recovered)
        }
        switch response {
        case .granted(let lease, let ttl):
            self.lease = lease
            ttlNanos = ttl
            lastRenewalNanos = nowNanos
            claimed = false
            queue = [.claim(lease: lease)]
        case .claimed(true):
            claimed = true
            nameHeldSinceNanos = nil
            reportedNameInUse = false
            notices.append(.joined)
            queue = [.list]
        case .claimed(false):
            let since = nameHeldSinceNanos ?? nowNanos
            nameHeldSinceNanos = since
            // A previous run of this member (killed, restarted at once) holds the name until its
            // lease expires: wait one TTL (plus a round) before calling the name taken.
            if nowNanos &- since > ttlNanos &+ refreshNanos, !reportedNameInUse {
                reportedNameInUse = true
                notices.append(.nameInUse)
            }
            queue = []
        case .keptAlive(true):
            lastRenewalNanos = nowNanos
        case .keptAlive(false):
            dropLease()
            notices.append(.leaseLost)
            queue = [.grant]
        case .listed(let names, let revision):
            guard revision == 0 || revision >= listRevision else { break }
            listRevision = max(listRevision, revision)
            let next = Array(Set(names).union([member])).sorted()
            if next != view {
                view = next
                notices.append(.view(next))
            }
        case .failed:
            break
        }
        return notices
    }

    private mutating func dropLease() {
        lease = nil
        claimed = false
        queue = []
    }
}
