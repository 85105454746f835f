import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Which targets a ``TargetFilter`` (a pool member's share) took over from elsewhere, so that their
/// engines start with a catch-up poll of the slot in progress (see ``PollSchedule``) instead of
/// waiting for their next tick: a pure value with no I/O, fed by the ``Shipper`` with every selection.
///
/// A target is taken over when the filter selects it now, did not select it before, and it was
/// already desired before: its owner changed, not the world. Targets of the first selection
/// (start-up: a catch-up there would be a burst, and nobody polled them before) and targets that are
/// new to the desired state (just discovered or configured) start on their grid as usual. A takeover
/// stays pending until its engine starts (it may wait for a previous engine of the same target to
/// end), and is forgotten when the target is no longer selected.
public struct Takeovers: Sendable, Equatable {
    /// The desired targets of the previous selection, nil before the first.
    private var desired: Set<TargetID>?
    private var selected: Set<TargetID> = []
    /// Taken over, engine not started yet.
    public private(set) var pending: Set<TargetID> = []

    public init() {}

    /// The filter selected `selection` out of `desired`.
    public mutating func select(_ selection: Set<TargetID>, of desired: Set<TargetID>) {
        if let before = self.desired {
            pending.formUnion(selection.subtracting(selected).intersection(before))
        }
        pending.formIntersection(selection)
        self.desired = desired
        selected = selection
    }

    /// The engine of `target` starts: true when it catches up (it was taken over). Forgets it.
    public mutating func starting(_ target: TargetID) -> Bool {
        pending.remove(target) != nil
    }
}
