/// The state of one component as reported on `GET /healthz`.
public enum ComponentHealth: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Working normally.
    case ok
    /// Working but impaired (e.g. an endpoint is failing and documents go to the spool). `/healthz` still
    /// answers 200.
    case degraded
    /// The cluster refuses writes (`cluster_block_exception`, e.g. a read-only index after the
    /// flood-stage disk watermark); documents wait. `/healthz` still answers 200.
    case blocked
    /// Not working. `/healthz` answers 503 when any component is down.
    case down

    private var severity: Int {
        switch self {
        case .ok: 0
        case .degraded: 1
        case .blocked: 2
        case .down: 3
        }
    }

    public static func < (lhs: ComponentHealth, rhs: ComponentHealth) -> Bool { lhs.severity < rhs.severity }
}
