import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// When a reader polls: a pure state machine with no I/O, driven by the engine.
///
/// - Ticks sit on a fixed grid `origin + k × interval` (monotonic), so they never drift.
/// - The grid is offset by a stable phase inside the interval from a hash of the target's identity,
///   so 1,000 readers with the same interval do not fire together. Given the wall time at start,
///   the grid is anchored to wall time: tick k is at `k × interval + phase` nanoseconds since the
///   epoch, the same in every process and after every restart, and ``slot(ofTick:)`` numbers it
///   (slot-based document ids).
/// - Polls never overlap: ticks that pass while a poll is running are skipped and counted.
/// - A catch-up poll (a target a pool member took over from another, see ``Takeovers``) is due at
///   once, for the slot in progress, so a takeover does not wait for the target's next tick; the
///   schedule then goes on with that tick. Its document shares its slot id with the one the old owner
///   may have made in that interval, so it is never a second document.
/// - After `backoffThreshold` consecutive failures the effective interval doubles per further
///   failure, capped at five minutes (or the interval, if longer); the first success resets it.
public struct PollSchedule: Sendable, Equatable {
    /// What a finished poll changed, for the engine to count and log.
    public struct Outcome: Sendable, Equatable {
        /// Ticks that passed while the poll was running.
        public var skippedTicks: Int
        /// Set when the reader's health changed with this poll.
        public var transition: Transition?
    }

    /// A change of health, logged once (never once per tick).
    public enum Transition: Sendable, Equatable {
        /// The first failure after a success (or at start).
        case startedFailing
        /// The first success after `failures` consecutive failures.
        case recovered(failures: Int)
    }

    /// Backoff never waits longer than this between polls (unless the interval itself is longer).
    public static let maximumBackoffNanos: UInt64 = 300_000_000_000

    public let intervalNanos: UInt64
    public let backoffThreshold: Int
    /// Monotonic time of tick 0.
    public let originNanos: UInt64
    /// The wall-clock slot index of tick 0 (see ``slot(ofTick:)``); nil without a wall anchor.
    public let originSlot: Int64?
    /// When the engine should poll next (monotonic nanoseconds).
    public private(set) var nextDeadline: UInt64
    /// Consecutive failed polls.
    public private(set) var consecutiveFailures = 0
    /// The slot of the catch-up poll due at ``nextDeadline``, nil once it ran (or without one).
    public private(set) var catchUpSlot: PollSlot?

    /// - Parameters:
    ///   - readerName: seeds the stable phase offset.
    ///   - startNanos: monotonic time the engine starts; the first poll is at `startNanos + phase`.
    public init(readerName: String, intervalNanos: UInt64, backoffThreshold: Int, startNanos: UInt64) {
        precondition(intervalNanos > 0, "interval must be positive")
        self.intervalNanos = intervalNanos
        self.backoffThreshold = max(1, backoffThreshold)
        originNanos = startNanos &+ PollSchedule.phase(of: readerName, intervalNanos: intervalNanos)
        originSlot = nil
        nextDeadline = originNanos
    }

    /// A schedule on the wall-anchored grid of `target`: the first tick is the first one at or after
    /// `startWallNanos` (which is `startNanos` on the monotonic clock).
    ///
    /// With `catchUp`, the first poll is due at `startNanos`, for the slot in progress (the one whose
    /// tick is the last before `startWallNanos`), and the grid's first tick follows it. When the
    /// start is exactly on a tick there is nothing to catch up: that tick is the first poll.
    public init(
        target: TargetID, intervalNanos: UInt64, backoffThreshold: Int, startNanos: UInt64, startWallNanos: Int64,
        catchUp: Bool = false
    ) {
        precondition(intervalNanos > 0, "interval must be positive")
        self.intervalNanos = intervalNanos
        self.backoffThreshold = max(1, backoffThreshold)
        let phase = StableHash.mixed64(target.reader, target.endpoint) % intervalNanos
        let wall = UInt64(max(startWallNanos, 0))
        let offset = (phase &+ intervalNanos &- wall % intervalNanos) % intervalNanos
        let firstSlot = Int64((wall &+ offset &- phase) / intervalNanos)
        originNanos = startNanos &+ offset
        originSlot = firstSlot
        nextDeadline = originNanos
        if catchUp, offset > 0 {
            catchUpSlot = PollSlot(index: firstSlot - 1, intervalNanos: intervalNanos)
            nextDeadline = startNanos
        }
    }

    /// A stable offset in `[0, interval)` from the reader's name (``StableHash``, not the seeded `Hasher`).
    public static func phase(of readerName: String, intervalNanos: UInt64) -> UInt64 {
        StableHash.mixed64(readerName) % intervalNanos
    }

    /// The slot of a grid tick (``tick(atOrAfter:)``), nil without a wall anchor.
    public func slot(ofTick tick: UInt64) -> PollSlot? {
        guard let originSlot, tick >= originNanos else { return nil }
        return PollSlot(index: originSlot + Int64((tick - originNanos) / intervalNanos), intervalNanos: intervalNanos)
    }

    /// The engine starts the poll due at ``nextDeadline`` at `nowNanos`. A catch-up poll that starts
    /// only once the grid's first tick has come (a starved process) becomes that tick's poll: it
    /// would otherwise carry the previous slot's id with a timestamp inside the next slot, beside
    /// that slot's own document.
    public mutating func starting(atNanos now: UInt64) {
        guard catchUpSlot != nil, now >= originNanos else { return }
        catchUpSlot = nil
        nextDeadline = originNanos
    }

    /// The slot of the poll due at ``nextDeadline``: the catch-up slot, else its tick's (nil without a
    /// wall anchor).
    public var nextSlot: PollSlot? { catchUpSlot ?? slot(ofTick: nextDeadline) }

    /// The interval in force now: the configured one, or the backed-off one.
    public var effectiveIntervalNanos: UInt64 {
        let excess = consecutiveFailures - backoffThreshold + 1
        guard excess > 0 else { return intervalNanos }
        let cap = max(PollSchedule.maximumBackoffNanos, intervalNanos)
        guard excess < 40 else { return cap }
        let (scaled, overflow) = intervalNanos.multipliedReportingOverflow(by: 1 << UInt64(excess))
        return overflow ? cap : min(scaled, cap)
    }

    /// Records a finished poll that started at `startedNanos` and ended at `finishedNanos`,
    /// and moves ``nextDeadline`` to the next grid tick the reader may use.
    public mutating func pollFinished(startedNanos: UInt64, finishedNanos: UInt64, succeeded: Bool) -> Outcome {
        var transition: Transition?
        if succeeded {
            if consecutiveFailures > 0 { transition = .recovered(failures: consecutiveFailures) }
            consecutiveFailures = 0
        } else {
            if consecutiveFailures == 0 { transition = .startedFailing }
            consecutiveFailures += 1
        }
        // Ticks strictly after the poll's own tick and before it finished were missed.
        let firstAfterStart = tick(atOrAfter: startedNanos &+ 1)
        var skipped = 0
        if firstAfterStart < finishedNanos {
            skipped = Int((finishedNanos - 1 - firstAfterStart) / intervalNanos) + 1
        }
        // Measured from the tick the poll was due at, so a late start does not push the grid. A catch-up
        // poll stands for the tick before the grid's first one: the first tick is next (unless backing off).
        let notBefore: UInt64
        if catchUpSlot != nil {
            catchUpSlot = nil
            notBefore = max(finishedNanos, originNanos &+ (effectiveIntervalNanos - intervalNanos))
        } else {
            notBefore = max(finishedNanos, min(nextDeadline, startedNanos) &+ effectiveIntervalNanos)
        }
        nextDeadline = tick(atOrAfter: notBefore)
        return Outcome(skippedTicks: skipped, transition: transition)
    }

    /// The first grid tick at or after `time`.
    public func tick(atOrAfter time: UInt64) -> UInt64 {
        guard time > originNanos else { return originNanos }
        let steps = (time - originNanos + intervalNanos - 1) / intervalNanos
        return originNanos &+ steps &* intervalNanos
    }
}
