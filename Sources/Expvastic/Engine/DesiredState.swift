import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// What should be running: every recorder and every target (one engine each), with everything
/// that decides whether a running one can stay. The ``Reconciler`` compares two of these; it never
/// looks at a ``Configuration`` itself.
public struct DesiredState: Sendable, Equatable {
    /// One recorder as it should run.
    public struct Recorder: Sendable, Equatable {
        public var configuration: RecorderConfiguration
        /// The recorder's own `log_level`, else `settings.log_level`.
        public var logLevel: LogLevel

        public init(configuration: RecorderConfiguration, logLevel: LogLevel) {
            self.configuration = configuration
            self.logLevel = logLevel
        }
    }

    /// One target (one engine) as it should run.
    public struct Target: Sendable, Equatable {
        /// The reader's settings for this target: `url` is the target's, `labels` its discovery labels.
        public var reader: ReaderConfiguration
        /// The recorders it feeds, in route order.
        public var recorders: [String]
        /// The reader's own `log_level`, else `settings.log_level`.
        public var logLevel: LogLevel
        /// Whether the target came from a reader's `targets:` (its metrics and health carry the endpoint).
        public var discovered: Bool

        public init(reader: ReaderConfiguration, recorders: [String], logLevel: LogLevel, discovered: Bool = false) {
            self.reader = reader
            self.recorders = recorders
            self.logLevel = logLevel
            self.discovered = discovered
        }
    }

    public var recorders: [String: Recorder]
    public var targets: [TargetID: Target]

    public init(recorders: [String: Recorder] = [:], targets: [TargetID: Target] = [:]) {
        self.recorders = recorders
        self.targets = targets
    }

    /// Nothing at all (what shutdown asks for).
    public static let empty = DesiredState()
}
