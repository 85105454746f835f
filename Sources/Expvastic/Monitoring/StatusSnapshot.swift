import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Everything the status page (`GET /`) and `GET /api/v1/targets` show, as typed values taken at one
/// moment: the targets (from the health board's entries, so every target an engine polls appears and
/// a removed one disappears), the recorders, discovery sources and pool members (empty when there are
/// none). Built per request; nothing here is kept.
public struct StatusSnapshot: Sendable, Equatable {
    /// One polled endpoint of a job (today: one reader is one target).
    public struct Target: Sendable, Equatable {
        /// The target's state as an operator reads it.
        public enum State: String, Sendable, Equatable, CaseIterable {
            /// Not polled yet.
            case unknown
            /// The last poll succeeded.
            case up
            /// The last poll failed; the reader polls on its interval.
            case failing
            /// `backoff` consecutive failures or more: the reader polls less often until it answers.
            case backingOff = "backing_off"
        }

        /// The job: the reader's name.
        public var job: String
        /// The polled URL (credentials, if any, are masked when shown).
        public var endpoint: String
        /// The component name health and samples are kept under: `reader.<job>`, or
        /// `reader.<job>@<endpoint>` for a discovered target.
        public var component: String
        /// Discovery labels (empty for a target from a plain `endpoint`).
        public var labels: [(name: String, value: String)]
        /// The pool member that polls it, nil when not in a pool.
        public var owner: String?
        /// Up, failing, backing off or not polled yet.
        public var state: State
        /// Wall time the last poll started, nanoseconds since the Unix epoch; nil before the first.
        public var lastPollWallNanos: Int64?
        /// How long the last poll took, nanoseconds.
        public var lastPollNanos: UInt64
        /// Failed polls in a row (0 when up).
        public var consecutiveFailures: Int
        /// The last poll's error in full, nil when it succeeded.
        public var lastError: String?
        /// Fields dropped by reason (`null`, `non_finite`, …), summed since start.
        public var droppedFields: [(reason: String, count: Int)]

        /// A target; only the job and endpoint are required.
        public init(
            job: String, endpoint: String, component: String? = nil, labels: [(name: String, value: String)] = [],
            owner: String? = nil,
            state: State = .unknown, lastPollWallNanos: Int64? = nil, lastPollNanos: UInt64 = 0,
            consecutiveFailures: Int = 0, lastError: String? = nil, droppedFields: [(reason: String, count: Int)] = []
        ) {
            self.job = job
            self.endpoint = endpoint
            self.component = component ?? "reader." + job
            self.labels = labels
            self.owner = owner
            self.state = state
            self.lastPollWallNanos = lastPollWallNanos
            self.lastPollNanos = lastPollNanos
            self.consecutiveFailures = consecutiveFailures
            self.lastError = lastError
            self.droppedFields = droppedFields
        }

        /// Field by field (labels and dropped fields in order).
        public static func == (lhs: Target, rhs: Target) -> Bool {
            lhs.job == rhs.job && lhs.endpoint == rhs.endpoint && lhs.component == rhs.component
                && lhs.labels.elementsEqual(rhs.labels, by: ==)
                && lhs.owner == rhs.owner && lhs.state == rhs.state && lhs.lastPollWallNanos == rhs.lastPollWallNanos
                && lhs.lastPollNanos == rhs.lastPollNanos && lhs.consecutiveFailures == rhs.consecutiveFailures
                && lhs.lastError == rhs.lastError && lhs.droppedFields.elementsEqual(rhs.droppedFields, by: ==)
        }
    }

    /// A discovery source of a job (`static`, `file`, `dns`, `http`, `etcd`).
    public struct DiscoverySource: Sendable, Equatable {
        /// The job (reader) whose targets it finds.
        public var job: String
        /// The source's kind and what it reads (`dns _app._tcp.example.com`).
        public var source: String
        /// `ok` or `failing`.
        public var state: String
        /// Targets it produced at the last refresh.
        public var targets: Int
        /// The last refresh's error, nil when it succeeded.
        public var lastError: String?

        /// A discovery source's state.
        public init(job: String, source: String, state: String, targets: Int, lastError: String? = nil) {
            self.job = job
            self.source = source
            self.state = state
            self.targets = targets
            self.lastError = lastError
        }
    }

    /// A member of the pool this shipper is in.
    public struct PoolMember: Sendable, Equatable {
        /// The member's name (`cluster.member`).
        public var name: String
        /// `live` or `expired`.
        public var state: String
        /// Targets assigned to it.
        public var targets: Int
        /// True for this process.
        public var isSelf: Bool

        /// A pool member's state.
        public init(name: String, state: String, targets: Int, isSelf: Bool = false) {
            self.name = name
            self.state = state
            self.targets = targets
            self.isSelf = isSelf
        }
    }

    /// When the snapshot was taken, nanoseconds since the Unix epoch.
    public var wallNanos: Int64
    /// Every target an engine polls, sorted by job.
    public var targets: [Target]
    /// Every running recorder, sorted by name.
    public var recorders: [RecorderStatus]
    /// Empty when no reader uses `targets:` discovery.
    public var discoverySources: [DiscoverySource]
    /// Empty when this shipper is not in a pool.
    public var poolMembers: [PoolMember]

    /// A snapshot; the lists default to empty.
    public init(
        wallNanos: Int64, targets: [Target] = [], recorders: [RecorderStatus] = [],
        discoverySources: [DiscoverySource] = [], poolMembers: [PoolMember] = []
    ) {
        self.wallNanos = wallNanos
        self.targets = targets
        self.recorders = recorders
        self.discoverySources = discoverySources
        self.poolMembers = poolMembers
    }
}
