import Synchronization

/// The one place that knows every target and recorder now running, for `/healthz` and the status
/// page: engines report each poll (``record(_:)``), the shipper registers recorders as it starts them
/// and removes targets and recorders when it stops them for good, so nothing stays after its
/// component is gone.
///
/// `/healthz`: a target whose last poll failed is degraded, and so is a recorder whose spool holds
/// data (its cluster is away, or it cannot keep up).
final class HealthBoard: Sendable {
    private struct State {
        var targets: [String: StatusSnapshot.Target] = [:]
        var recorders: [String: any Recorder] = [:]
    }

    private let state = Mutex(State())

    func record(_ event: Engine.PollEvent) {
        let state: StatusSnapshot.Target.State = event.succeeded ? .up : event.backingOff ? .backingOff : .failing
        let target = StatusSnapshot.Target(
            job: event.reader, endpoint: event.endpoint, state: state, lastPollWallNanos: event.wallNanos,
            lastPollNanos: event.latencyNanos, consecutiveFailures: event.consecutiveFailures, lastError: event.error,
            droppedFields: event.droppedFields)
        self.state.withLock { $0.targets[event.reader] = target }
    }

    /// A reader's engine has stopped for good (removed from the configuration): forget its target.
    func removeTarget(job: String) {
        _ = state.withLock { $0.targets.removeValue(forKey: job) }
    }

    /// A recorder now running (replaces one of the same name).
    func register(_ recorder: any Recorder) {
        state.withLock { $0.recorders[recorder.name] = recorder }
    }

    /// A recorder that has stopped for good.
    func removeRecorder(named name: String) {
        _ = state.withLock { $0.recorders.removeValue(forKey: name) }
    }

    /// Targets sorted by job, recorders by name.
    func status(wallNanos: Int64) -> StatusSnapshot {
        let (targets, recorders) = state.withLock { ($0.targets, $0.recorders) }
        return StatusSnapshot(
            wallNanos: wallNanos, targets: targets.keys.sorted().map { targets[$0]! },
            recorders: recorders.keys.sorted().map { recorders[$0]!.status })
    }

    func health() -> [String: ComponentHealth] {
        let snapshot = status(wallNanos: 0)
        var components: [String: ComponentHealth] = [:]
        for target in snapshot.targets where target.state != .unknown {
            components[target.component] = target.state == .up ? .ok : .degraded
        }
        for recorder in snapshot.recorders {
            components["recorder.\(recorder.name)"] = recorder.spoolBytes > 0 ? .degraded : .ok
        }
        return components
    }
}
