import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// What should be running: every recorder and every target (one engine each), with everything
/// that decides whether a running one can stay. The ``Reconciler`` compares two of these; it never
/// looks at a ``Configuration`` itself.
public struct DesiredState: Sendable, Equatable {
    /// One recorder as it should run.
    ///
    /// Boxed like ``Target``: the reconciler compares the running recorders with the desired ones
    /// at every step, and a step runs for each of 10,000 targets that ended; the same box is equal
    /// without comparing its settings.
    public struct Recorder: Sendable, Equatable {
        private final class Storage: Sendable {
            let configuration: RecorderConfiguration
            let logLevel: LogLevel

            init(configuration: RecorderConfiguration, logLevel: LogLevel) {
                self.configuration = configuration
                self.logLevel = logLevel
            }
        }

        private var storage: Storage

        public var configuration: RecorderConfiguration {
            get { storage.configuration }
            set { storage = Storage(configuration: newValue, logLevel: logLevel) }
        }
        /// The recorder's own `log_level`, else `settings.log_level`.
        public var logLevel: LogLevel {
            get { storage.logLevel }
            set { storage = Storage(configuration: configuration, logLevel: newValue) }
        }

        public init(configuration: RecorderConfiguration, logLevel: LogLevel) {
            storage = Storage(configuration: configuration, logLevel: logLevel)
        }

        public static func == (lhs: Recorder, rhs: Recorder) -> Bool {
            lhs.storage === rhs.storage
                || (lhs.storage.logLevel == rhs.storage.logLevel
                    && lhs.storage.configuration == rhs.storage.configuration)
        }
    }

    /// One target (one engine) as it should run.
    ///
    /// Its settings live in one shared, copy-on-write box: the builder's, the reconciler's
    /// desired and running tables and every start action hold the same 10,000 targets, and copying
    /// a table (which happens each time the builder changes a state the reconciler also holds) or an
    /// action cost a retain and a release per string and array of the reader's settings (about 20
    /// per target). Two targets that share a box are equal without comparing their settings.
    public struct Target: Sendable, Equatable {
        private final class Storage: Sendable {
            let reader: ReaderConfiguration
            let recorders: [String]
            let logLevel: LogLevel
            let discovered: Bool

            init(reader: ReaderConfiguration, recorders: [String], logLevel: LogLevel, discovered: Bool) {
                self.reader = reader
                self.recorders = recorders
                self.logLevel = logLevel
                self.discovered = discovered
            }
        }

        private var storage: Storage

        /// The reader's settings for this target: `url` is the target's, `labels` its discovery labels.
        public var reader: ReaderConfiguration {
            get { storage.reader }
            set {
                storage = Storage(reader: newValue, recorders: recorders, logLevel: logLevel, discovered: discovered)
            }
        }
        /// The recorders it feeds, in route order.
        public var recorders: [String] {
            get { storage.recorders }
            set { storage = Storage(reader: reader, recorders: newValue, logLevel: logLevel, discovered: discovered) }
        }
        /// The reader's own `log_level`, else `settings.log_level`.
        public var logLevel: LogLevel {
            get { storage.logLevel }
            set { storage = Storage(reader: reader, recorders: recorders, logLevel: newValue, discovered: discovered) }
        }
        /// Whether the target came from a reader's `targets:` (its metrics and health carry the endpoint).
        public var discovered: Bool {
            get { storage.discovered }
            set { storage = Storage(reader: reader, recorders: recorders, logLevel: logLevel, discovered: newValue) }
        }

        public init(reader: ReaderConfiguration, recorders: [String], logLevel: LogLevel, discovered: Bool = false) {
            storage = Storage(reader: reader, recorders: recorders, logLevel: logLevel, discovered: discovered)
        }

        public static func == (lhs: Target, rhs: Target) -> Bool {
            lhs.storage === rhs.storage
                || (lhs.storage.discovered == rhs.storage.discovered && lhs.storage.logLevel == rhs.storage.logLevel
                    && lhs.storage.recorders == rhs.storage.recorders && lhs.storage.reader == rhs.storage.reader)
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
