import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// When a discovery source is asked again and what its answers change: a pure state machine with
/// no I/O, driven by the ``DiscoveryService``.
///
/// - The first question is asked at once; then every `refresh`, or sooner when an answer says it is
///   valid for less (a DNS TTL, at least one second).
/// - A new target set is published only when it differs from the last one.
/// - A failure never empties the world: the last good set stays published. The change from working
///   to failing, and back, is reported once each (with the number of failures in between).
/// - A source without `refresh` (a static list) is asked once.
public struct DiscoveryRefresh: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Hand this set to the shipper.
        case publish([DiscoveredTarget])
        /// The source just started failing (first failure after a success, or at start).
        case startedFailing(DiscoveryError)
        /// The source answered again after `failures` failed attempts.
        case recovered(failures: Int)
    }

    /// The shortest time an answer is used, whatever its TTL says.
    public static let minimumRefreshNanos: UInt64 = 1_000_000_000

    public let refreshNanos: UInt64?
    /// The last set published, nil before the first good answer.
    public private(set) var published: [DiscoveredTarget]?
    /// Failed attempts since the last good answer.
    public private(set) var consecutiveFailures = 0
    /// When to ask next (monotonic), nil when never again.
    public private(set) var nextRefreshNanos: UInt64?

    /// - Parameter refreshNanos: nil asks once.
    public init(refreshNanos: UInt64?, startNanos: UInt64) {
        self.refreshNanos = refreshNanos.map { max($0, DiscoveryRefresh.minimumRefreshNanos) }
        nextRefreshNanos = startNanos
    }

    /// ok after a good answer, degraded while failing, nil before the first attempt ended.
    public var health: ComponentHealth? {
        if consecutiveFailures > 0 { return .degraded }
        return published == nil ? nil : .ok
    }

    public mutating func answered(_ answer: DiscoveryAnswer, atNanos now: UInt64) -> [Action] {
        var actions: [Action] = []
        if consecutiveFailures > 0 { actions.append(.recovered(failures: consecutiveFailures)) }
        consecutiveFailures = 0
        if published != answer.targets {
            published = answer.targets
            actions.append(.publish(answer.targets))
        }
        nextRefreshNanos = refreshNanos.map { refresh in
            let wait = min(refresh, max(answer.validForNanos ?? refresh, DiscoveryRefresh.minimumRefreshNanos))
            return now &+ wait
        }
        return actions
    }

    public mutating func failed(_ error: DiscoveryError, atNanos now: UInt64) -> [Action] {
        consecutiveFailures += 1
        // A static list cannot fail; anything else tries again after its refresh.
        nextRefreshNanos = now &+ (refreshNanos ?? DiscoveryRefresh.minimumRefreshNanos)
        return consecutiveFailures == 1 ? [.startedFailing(error)] : []
    }
}
