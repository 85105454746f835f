/// The state of one component as reported on `GET /healthz`.
public enum ComponentHealth: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Working normally.
    case ok
    /// Working but impaired (e.g. an endpoint is failing and documents go to the spool). `/healthz` still
    /// answers 200.
    case degraded
    /// Not working. `/healthz` answers 503 when any component is down.
    case down

    private var severity: Int {
        switch self {
        case .ok: 0
        case .degraded: 1
        case .down: 2
        }
    }

    public static func < (lhs: ComponentHealth, rhs: ComponentHealth) -> Bool { lhs.severity < rhs.severity }
}
