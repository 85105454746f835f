import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

/// The one place that knows every target, discovery source and recorder now running, for `/healthz`
/// and the status page: engines report each poll (``record(_:)``), discovery sources their health
/// (``set(_:_:)``), the shipper registers recorders as it starts them and removes targets, sources
/// and recorders when they stop for good, so nothing stays after its component is gone.
///
/// `/healthz`: a target whose last poll failed is degraded, and so is a failing discovery source and
/// a recorder whose spool holds data (its cluster is away, or it cannot keep up); a recorder whose
/// cluster refuses writes with a block is blocked.
package final class HealthBoard: Sendable {
    private struct State {
        /// By component: `reader.<job>`, or `reader.<job>@<endpoint>` for a discovered target.
        package var targets: [String: StatusSnapshot.Target] = [:]
        /// Discovery sources by component (`discovery.<job>.<index>.<kind>`).
        package var sources: [String: ComponentHealth] = [:]
        package var recorders: [String: any Recorder] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    package func record(_ event: Engine.PollEvent) {
        let state: StatusSnapshot.Target.State = event.succeeded ? .up : event.backingOff ? .backingOff : .failing
        let target = StatusSnapshot.Target(
            job: event.reader, endpoint: event.endpoint, component: event.component, labels: event.labels,
            state: state, lastPollWallNanos: event.wallNanos, lastPollNanos: event.latencyNanos,
            consecutiveFailures: event.consecutiveFailures, lastError: event.error, droppedFields: event.droppedFields)
        self.state.withLock { $0.targets[event.component] = target }
    }

    /// Sets a discovery source's health.
    package func set(_ component: String, _ health: ComponentHealth) {
        state.withLock { $0.sources[component] = health }
    }

    /// Forgets a target or discovery source that went away, so it can no longer keep the process
    /// degraded or show on the status page.
    package func remove(_ component: String) {
        state.withLock { state in
            state.targets.removeValue(forKey: component)
            state.sources.removeValue(forKey: component)
        }
    }

    /// Forgets every target of a job.
    package func removeTarget(job: String) {
        state.withLock { state in state.targets = state.targets.filter { $0.value.job != job } }
    }

    /// The target and source components currently reported.
    package var components: Set<String> { state.withLock { Set($0.targets.keys).union($0.sources.keys) } }

    /// A recorder now running (replaces one of the same name).
    package func register(_ recorder: any Recorder) {
        state.withLock { $0.recorders[recorder.name] = recorder }
    }

    /// A recorder that has stopped for good.
    package func removeRecorder(named name: String) {
        _ = state.withLock { $0.recorders.removeValue(forKey: name) }
    }

    /// Targets sorted by component (job, then endpoint), recorders by name, sources by component.
    package func status(wallNanos: Int64) -> StatusSnapshot {
        let (targets, sources, recorders) = state.withLock { ($0.targets, $0.sources, $0.recorders) }
        return StatusSnapshot(
            wallNanos: wallNanos, targets: targets.keys.sorted().map { targets[$0]! },
            recorders: recorders.keys.sorted().map { recorders[$0]!.status },
            discoverySources: sources.keys.sorted().map { component in
                StatusSnapshot.DiscoverySource(
                    job: Self.job(ofSource: component), source: component,
                    state: sources[component] == .ok ? "ok" : "failing",
                    targets: targets.values.count(where: {
                        $0.job == Self.job(ofSource: component) && $0.component.contains("@")
                    }))
            })
    }

    /// `/healthz`'s components.
    package func health() -> [String: ComponentHealth] {
        let snapshot = status(wallNanos: 0)
        var components = state.withLock { $0.sources }
        for target in snapshot.targets where target.state != .unknown {
            components[target.component] = target.state == .up ? .ok : .degraded
        }
        for recorder in snapshot.recorders {
            components["recorder.\(recorder.name)"] =
                recorder.state == .blocked ? .blocked : recorder.spoolBytes > 0 ? .degraded : .ok
        }
        return components
    }

    /// `discovery.api.0.dns` → `api`.
    private static func job(ofSource component: String) -> String {
        let parts = component.split(separator: ".")
        return parts.count >= 3 ? parts[1...(parts.count - 3)].joined(separator: ".") : component
    }
}
