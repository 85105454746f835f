import Synchronization

/// What `/healthz` reports: a reader whose last poll failed is degraded, and so is a recorder
/// whose spool holds data (its cluster is away, or it cannot keep up); a recorder whose cluster
/// refuses writes with a block is blocked.
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
        var blocked: Set<String> = []
        for (key, value) in registry.snapshot() where key.name == "spool_bytes" || key.name == "cluster_blocked" {
            guard let recorder = key.labels.first(where: { $0.name == "recorder" }), case .gauge(let level) = value
            else { continue }
            let component = "recorder.\(recorder.value)"
            if key.name == "cluster_blocked" {
                if level > 0 { blocked.insert(component) }
            } else {
                components[component] = level > 0 ? .degraded : .ok
            }
        }
        for component in blocked { components[component] = .blocked }
        return components
    }
}
