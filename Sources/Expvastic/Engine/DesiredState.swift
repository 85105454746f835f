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
        @usableFromInline struct Fields: Sendable, Equatable {
            // Cheap comparisons first (`==` compares in this order).
            @usableFromInline var logLevel: LogLevel
            @usableFromInline var configuration: RecorderConfiguration
        }

        @usableFromInline var box: SharedBox<Fields>

        @inlinable public var configuration: RecorderConfiguration {
            get { box.value.configuration }
            set { box = box.with(\.configuration, newValue) }
        }
        /// The recorder's own `log_level`, else `settings.log_level`.
        @inlinable public var logLevel: LogLevel {
            get { box.value.logLevel }
            set { box = box.with(\.logLevel, newValue) }
        }

        public init(configuration: RecorderConfiguration, logLevel: LogLevel) {
            box = SharedBox(Fields(logLevel: logLevel, configuration: configuration))
        }
    }

    /// One target (one engine) as it should run.
    ///
    /// Its settings live in one shared, copy-on-write box: the builder's, the reconciler's
    /// desired and running tables and every start action hold the same 10,000 targets, and copying
    /// a table (which happens each time the builder changes a state the reconciler also holds) or an
    /// action cost a retain and a release per string and array of the reader's settings (about 20
    /// per target). Two targets that share a box are equal without comparing their settings.
    ///
    /// The getters are inlinable, so a caller reads a field of the box in place
    /// (`target.reader.interval` copies no reader settings); `target.reader` as a whole is a copy,
    /// and ``withReader(_:)`` lends the settings without one. (They were `_read` coroutines: from
    /// another module each read allocated the coroutine's frame.)
    public struct Target: Sendable, Equatable {
        @usableFromInline struct Fields: Sendable, Equatable {
            // Cheap comparisons first (`==` compares in this order).
            @usableFromInline var discovered: Bool
            @usableFromInline var logLevel: LogLevel
            @usableFromInline var recorders: [String]
            @usableFromInline var reader: ReaderConfiguration
        }

        @usableFromInline var box: SharedBox<Fields>

        /// The reader's settings for this target: `url` is the target's, `labels` its discovery labels.
        @inlinable public var reader: ReaderConfiguration {
            get { box.value.reader }
            set { box = box.with(\.reader, newValue) }
        }
        /// `body` with the reader's settings borrowed from the box: ``reader`` returns a copy (a
        /// retain now and a release later per string, array and table of the settings, ~30 per target
        /// started), which making a reader from them does not need.
        @inlinable public func withReader<Result>(_ body: (borrowing ReaderConfiguration) throws -> Result) rethrows
            -> Result
        { try body(box.value.reader) }
        /// The recorders it feeds, in route order.
        @inlinable public var recorders: [String] {
            get { box.value.recorders }
            set { box = box.with(\.recorders, newValue) }
        }
        /// The reader's own `log_level`, else `settings.log_level`.
        @inlinable public var logLevel: LogLevel {
            get { box.value.logLevel }
            set { box = box.with(\.logLevel, newValue) }
        }
        /// Whether the target came from a reader's `targets:` (its metrics and health carry the endpoint).
        @inlinable public var discovered: Bool {
            get { box.value.discovered }
            set { box = box.with(\.discovered, newValue) }
        }

        public init(reader: ReaderConfiguration, recorders: [String], logLevel: LogLevel, discovered: Bool = false) {
            box = SharedBox(Fields(discovered: discovered, logLevel: logLevel, recorders: recorders, reader: reader))
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

/// An immutable value shared by reference: copying it is one retain, and two copies of one box are
/// equal without comparing the value. Changing a field makes a new box.
@usableFromInline final class SharedBox<Value: Sendable & Equatable>: Sendable, Equatable {
    @usableFromInline let value: Value

    init(_ value: Value) { self.value = value }

    @usableFromInline func with<Field>(_ field: WritableKeyPath<Value, Field>, _ newValue: Field) -> SharedBox {
        var changed = value
        changed[keyPath: field] = newValue
        return SharedBox(changed)
    }

    @usableFromInline static func == (lhs: SharedBox, rhs: SharedBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
}
