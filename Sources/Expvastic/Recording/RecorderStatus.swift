import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// What a recorder is doing now, as typed values (for the status page and `/healthz`; not metric names).
public struct RecorderStatus: Sendable, Equatable {
    /// The recorder's state as an operator reads it.
    public enum State: String, Sendable, Equatable, CaseIterable {
        /// Not connected yet: the first probe has not answered.
        case connecting
        /// The cluster answers and nothing waits in the spool (a file recorder is always connected).
        case connected
        /// Documents wait in the spool: the cluster is away or cannot keep up. Nothing is lost.
        case spooling
        /// The cluster asked to slow down (429/503 with `Retry-After`); sending is paused.
        case blocked
    }

    /// The recorder's name from the configuration.
    public var name: String
    /// `elasticsearch` or `file`.
    public var kind: String
    /// Where it writes: the endpoints (comma-separated) or the file path.
    public var destination: String
    /// The cluster's distribution and version (`elasticsearch 8.13.0`), nil until known.
    public var clusterVersion: String?
    /// What it is doing now.
    public var state: State
    /// Documents delivered (stored or already present) since start.
    public var documentsSent: Int
    /// Documents held in memory (queued, in flight or waiting for a retry).
    public var queueLength: Int
    /// Bytes and segments in the spool (zero without one).
    public var spoolBytes: Int
    /// Segment files in the spool.
    public var spoolSegments: Int
    /// Documents rejected for good and written to the dead-letter file, since start.
    public var deadLettered: Int
    /// The most recent problem (cluster unreachable, a rejected request …), nil when none yet.
    public var lastError: String?

    /// A status; everything but the name and kind defaults to "connected, nothing happened yet".
    public init(
        name: String, kind: String, destination: String = "", clusterVersion: String? = nil,
        state: State = .connected, documentsSent: Int = 0, queueLength: Int = 0, spoolBytes: Int = 0,
        spoolSegments: Int = 0, deadLettered: Int = 0, lastError: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.destination = destination
        self.clusterVersion = clusterVersion
        self.state = state
        self.documentsSent = documentsSent
        self.queueLength = queueLength
        self.spoolBytes = spoolBytes
        self.spoolSegments = spoolSegments
        self.deadLettered = deadLettered
        self.lastError = lastError
    }
}
