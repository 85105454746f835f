import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

/// This process as a member of a pool of shippers on etcd: the async shell around the pure
/// ``Membership`` (lease, member key, member list) and ``PoolShare`` (which targets it runs). As a
/// ``TargetFilter`` it narrows the shipper's targets to its share; as a ``Service`` it keeps the
/// membership going.
///
/// The member list is watched (etcd's `/v3/watch`, streamed) and read again at each event, and also
/// re-read (a range of `<prefix>members/`) once per refresh, `min(1s, TTL/3)`, in case the watch is
/// down: a change is seen within milliseconds, at worst within one refresh.
///
/// When etcd is away the member keeps its last list, so it keeps polling its last share (never
/// nothing); it logs the change once, reports itself degraded, and joins again (a new lease) when
/// etcd answers.
public final class PoolMember: Service, TargetFilter {
    /// How ``join(timeout:)`` ended.
    public enum JoinOutcome: Sendable, Equatable {
        /// The member key is ours; the members seen (sorted, this one included).
        case joined([String])
        /// etcd did not answer in time: the member runs every target until it does.
        case alone(String)
        /// Another live member holds this member's name.
        case nameInUse
    }

    private struct State {
        package var membership: Membership
        package var share: PoolShare
        package var desired: [TargetID] = []
        package var lastError = ""
        package var leaving = false
        package var nameInUse = false
    }

    public let member: String
    public let cluster: ClusterConfiguration
    /// How often the member list is read (and the lease renewed at most).
    public let refresh: Duration
    private let client: EtcdClient
    private let clock: any TimeSource
    private let logger: Logger
    private let state: Mutex<State>
    private let changeStream: AsyncStream<Void>
    private let changeSink: AsyncStream<Void>.Continuation
    private let membersGauge: Gauge
    private let ownedGauge: Gauge
    private let rebalances: Counter
    private let etcdErrors: Counter

    /// - Parameters:
    ///   - member: this member's name (``ClusterConfiguration/member`` or its default).
    ///   - handover: how long targets that moved to another member are still polled here (see
    ///     ``PoolShare``): one refresh plus two of the longest reader interval is enough for the new
    ///     owner to have polled.
    public init(
        member: String, cluster: ClusterConfiguration, handover: Duration, client: EtcdClient, clock: any TimeSource,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.member = member
        self.cluster = cluster
        let ttl = cluster.leaseTTL.nanoseconds
        refresh = PoolMember.refresh(leaseTTL: cluster.leaseTTL)
        self.client = client
        self.clock = clock
        self.logger = logger
        state = Mutex(
            State(
                membership: Membership(member: member, ttlNanos: ttl, refreshNanos: refresh.nanoseconds),
                share: PoolShare(member: member, handoverNanos: handover.nanoseconds)))
        (changeStream, changeSink) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        membersGauge = metrics.gauge(MetricKey("cluster.members"))
        ownedGauge = metrics.gauge(MetricKey("cluster.owned_targets"))
        rebalances = metrics.counter(MetricKey("cluster.rebalances"))
        etcdErrors = metrics.counter(MetricKey("cluster.etcd_errors"))
    }

    /// The refresh of a pool whose leases last `ttl`: a third of it in whole milliseconds, at most one
    /// second.
    public static func refresh(leaseTTL ttl: Duration) -> Duration {
        .milliseconds(Int64(min(1_000, ttl.nanoseconds / 3_000_000)))
    }

    // MARK: - Joining, running, leaving

    /// Joins the pool before the shipper starts: grants a lease, claims the member key and reads the
    /// members, retrying each refresh, for at most `timeout`. When etcd does not answer in time the
    /// member starts alone (it runs every target; a duplicate poll is absorbed by the slot id, a
    /// missed one is lost for ever) and joins when etcd answers. While etcd answers that another
    /// live lease holds the name, the member waits (up to one more TTL and round) until the name is
    /// either freed or reported in use, so a duplicate name never starts as a lone member.
    public func join(timeout: Duration) async -> JoinOutcome {
        let deadline = clock.monotonicNanos() &+ timeout.nanoseconds
        let nameDeadline = deadline &+ state.withLock { $0.membership.ttlNanos } &+ refresh.nanoseconds
        var waitingForName = false
        while clock.monotonicNanos() < (waitingForName ? nameDeadline : deadline) {
            await round()
            let (view, claimed, nameInUse, waiting, wake) = state.withLock {
                (
                    $0.membership.view, $0.membership.claimed, $0.nameInUse, $0.membership.isWaitingForName,
                    $0.membership.wakeNanos
                )
            }
            if nameInUse { return .nameInUse }
            if claimed, let view { return .joined(view) }
            waitingForName = waiting
            do {
                try await clock.sleep(untilMonotonic: min(wake, waitingForName ? nameDeadline : deadline))
            } catch { break }
        }
        let reason = state.withLock { state in
            _ = state.share.update(members: [member], nowNanos: clock.monotonicNanos())
            return state.lastError.isEmpty ? "no answer within \(GoDuration.format(timeout))" : state.lastError
        }
        membersGauge.set(1)
        return .alone(reason)
    }

    /// Keeps the membership: a round every refresh, and a streaming watch of the members prefix
    /// whose events make the member read the list at once (so a change is usually seen within
    /// milliseconds; the rounds' reads are the safety net when the watch is down). Returns after
    /// ``leave()``.
    public func run() async throws {
        let (events, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.rounds() }
            group.addTask { await self.watchMembers(changed) }
            group.addTask { for await _ in events { await self.relist() } }
            try await group.next()
            group.cancelAll()
        }
    }

    private func rounds() async throws {
        while !Task.isCancelled {
            await round()
            let (wake, leaving) = state.withLock {
                (min($0.membership.wakeNanos, $0.share.nextExpiryNanos ?? .max), $0.leaving)
            }
            if leaving { return }
            try await clock.sleep(untilMonotonic: wake)
        }
    }

    /// Watches the members prefix (a minute at a time) and rings `changed` for every change; when
    /// the watch cannot be set up (etcd away: the rounds report that) it tries again a refresh later.
    private func watchMembers(_ changed: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled, !state.withLock({ $0.leaving }) {
            do {
                try await client.watch(prefix: cluster.membersPrefix, duration: .seconds(60)) { _ in changed.yield() }
            } catch {
                logger.debug("members watch ended: \(error)", ["cluster.member": member])
                do { try await clock.sleep(for: refresh) } catch { return }
            }
        }
    }

    /// Reads the member list after a watch event.
    private func relist() async {
        guard !state.withLock({ $0.leaving }) else { return }
        let prefix = cluster.membersPrefix
        do {
            let range = try await client.range(prefix: prefix)
            let names = range.keyValues.map { String($0.key.dropFirst(prefix.count)) }.filter { !$0.isEmpty }
            let notices = state.withLock { state in
                state.leaving
                    ? []
                    : state.membership.handle(
                        .listed(names, revision: range.revision), nowNanos: clock.monotonicNanos())
            }
            apply(notices)
        } catch {
            etcdErrors.increment()
        }
    }

    /// Leaves the pool at once: revokes the lease, which deletes the member key, so the others take
    /// over this member's targets within one refresh. The member keeps polling its share (the
    /// shipper is still running) until the caller stops it; it does not join again.
    public func leave() async {
        let lease = state.withLock { state in
            state.leaving = true
            return state.membership.lease
        }
        guard let lease else { return }
        do {
            try await client.revoke(lease: lease)
            logger.info("left the pool: lease revoked", ["cluster.member": member])
        } catch {
            etcdErrors.increment()
            logger.warn(
                "could not revoke the lease (the others take over when it expires): \(error)",
                ["cluster.member": member])
        }
    }

    /// One round of the membership: every request it asks for, in order.
    private func round() async {
        expireHandovers()
        while true {
            let (request, leaving) = state.withLock { state in
                (state.membership.next(nowNanos: clock.monotonicNanos()), state.leaving)
            }
            guard !leaving, let request else { return }
            let response = await perform(request)
            if case .failed(let reason) = response {
                etcdErrors.increment()
                state.withLock { $0.lastError = reason }
            }
            let after = state.withLock { state in
                state.leaving ? [] : state.membership.handle(response, nowNanos: clock.monotonicNanos())
            }
            apply(after)
        }
    }

    private func perform(_ request: Membership.Request) async -> Membership.Response {
        do {
            switch request {
            case .grant:
                let lease = try await client.grantLease(ttl: cluster.leaseTTL)
                return .granted(lease: lease.id, ttlNanos: lease.ttl.nanoseconds)
            case .claim(let lease):
                do {
                    let value = "{\"member\":" + JSONWriter.quoted(member) + "}"
                    return .claimed(try await client.create(key, Array(value.utf8), lease: lease))
                } catch  where error.code == .leaseNotFound {
                    return .keptAlive(false)
                }
            case .keepAlive(let lease):
                return .keptAlive(try await client.keepAlive(lease: lease) != nil)
            case .list:
                let prefix = cluster.membersPrefix
                let range = try await client.range(prefix: prefix)
                return .listed(
                    range.keyValues.map { String($0.key.dropFirst(prefix.count)) }.filter { !$0.isEmpty },
                    revision: range.revision)
            }
        } catch {
            return .failed(error.description)
        }
    }

    private var key: String { cluster.membersPrefix + member }

    private func apply(_ notices: [Membership.Notice]) {
        for notice in notices {
            switch notice {
            case .view(let members):
                let (changed, first, owned) = state.withLock { state in
                    let first = state.share.members.isEmpty
                    let changed = state.share.update(members: members, nowNanos: clock.monotonicNanos())
                    return (
                        changed, first, state.desired.count { !$0.isSelfReader && state.share.owner(of: $0) == member }
                    )
                }
                membersGauge.set(Double(members.count))
                guard changed else { continue }
                if !first { rebalances.increment() }
                logger.info(
                    "pool has \(Plural.count(members.count, "member")); this member owns \(owned) target(s)",
                    ["cluster.member": member, "cluster.members": members.joined(separator: ",")])
                changeSink.yield()
            case .degraded(let reason):
                let owned = state.withLock { state in state.desired.count { state.share.runs($0) } }
                logger.warn(
                    "etcd unreachable: keeping the last share (\(owned) target(s)) until it answers: \(reason)",
                    ["cluster.member": member])
            case .recovered:
                logger.info("etcd answers again", ["cluster.member": member])
            case .leaseLost:
                logger.warn("lease expired: joining the pool again", ["cluster.member": member])
            case .nameInUse:
                state.withLock { $0.nameInUse = true }
                logger.error(
                    "member name \(member) is held by another live member at \(key); set a unique cluster.member",
                    ["cluster.member": member])
            case .joined:
                logger.debug("member key claimed", ["cluster.member": member, "cluster.key": key])
            }
        }
    }

    /// Ends handover periods that are over; the shipper then stops the targets that moved away.
    private func expireHandovers() {
        let expired = state.withLock { $0.share.expire(nowNanos: clock.monotonicNanos()) }
        if expired { changeSink.yield() }
    }

    // MARK: - TargetFilter

    public func select(_ desired: [TargetID]) -> Set<TargetID> {
        let (selected, owned) = state.withLock { state in
            state.desired = desired
            let selected = Set(desired.filter { state.share.runs($0) })
            return (selected, desired.count { !$0.isSelfReader && state.share.owner(of: $0) == member })
        }
        ownedGauge.set(Double(owned))
        return selected
    }

    public var changes: AsyncStream<Void> { changeStream }

    // MARK: - Status

    /// `ok`, or `degraded` while etcd does not answer.
    public var health: ComponentHealth {
        state.withLock { $0.membership.isDegraded ? .degraded : .ok }
    }

    /// The members seen, with the number of targets each owns (of the targets this member knows).
    public var members: [StatusSnapshot.PoolMember] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for target in state.desired where !target.isSelfReader {
                if let owner = state.share.owner(of: target) { counts[owner, default: 0] += 1 }
            }
            let live = state.membership.isDegraded ? "unconfirmed" : "live"
            return state.share.members.map {
                StatusSnapshot.PoolMember(
                    name: $0, state: live, targets: counts[$0] ?? 0, isSelf: $0 == member)
            }
        }
    }
}
