import Synchronization

/// What `/healthz` reports: a reader whose last poll failed is degraded, and so is a recorder
/// whose spool holds data (its cluster is away, or it cannot keep up).
final class HealthBoard: Sendable {
    private let states = Mutex<[String: ComponentHealth]>([:])

    func record(_ event: Engine.PollEvent) {
        states.withLock { $0[event.component] = event.succeeded ? .ok : .degraded }
    }

    /// Sets a component's health (a discovery source).
    func set(_ component: String, _ health: ComponentHealth) {
        states.withLock { $0[component] = health }
    }

    /// Forgets a component that went away (a removed target, reader or discovery source), so it
    /// can no longer keep the process degraded.
    func remove(_ component: String) {
        _ = states.withLock { $0.removeValue(forKey: component) }
    }

    /// The components currently reported.
    var components: Set<String> { states.withLock { Set($0.keys) } }

    func snapshot(recordersFrom registry: MetricsRegistry) -> [String: ComponentHealth] {
        var components = states.withLock { $0 }
        for (key, value) in registry.snapshot() where key.name == "spool_bytes" {
            guard let recorder = key.labels.first(where: { $0.name == "recorder" }), case .gauge(let bytes) = value
            else { continue }
            components["recorder.\(recorder.value)"] = bytes > 0 ? .degraded : .ok
        }
        return components
    }
}
