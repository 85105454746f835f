/// A small value-type logger: a component name, a minimum level and a handler.
///
/// Loggers are passed in, never global. Messages are autoclosures, so a suppressed
/// debug line costs nothing.
public struct Logger: Sendable {
    public var component: String
    public var level: LogLevel
    public var handler: any LogHandler
    public var clock: any TimeSource
    /// Metadata attached to every record of this logger (lower-case dotted keys).
    public var metadata: [String: String]

    public init(
        component: String,
        level: LogLevel = .info,
        handler: any LogHandler = StderrLogHandler(),
        clock: any TimeSource = SystemClock(),
        metadata: [String: String] = [:]
    ) {
        self.component = component
        self.level = level
        self.handler = handler
        self.clock = clock
        self.metadata = metadata
    }

    /// A logger for a sub-component that shares handler, clock and metadata.
    public func child(_ component: String, level: LogLevel? = nil) -> Logger {
        var copy = self
        copy.component = component
        if let level { copy.level = level }
        return copy
    }

    public func log(
        _ level: LogLevel,
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> [String: String] = [:]
    ) {
        guard level >= self.level else { return }
        var all = self.metadata
        for (key, value) in metadata() { all[key] = value }
        handler.log(
            LogRecord(
                wallNanos: clock.wallNanos(),
                level: level,
                component: component,
                message: message(),
                metadata: all
            )
        )
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), metadata())
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), metadata())
    }

    public func warn(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.warn, message(), metadata())
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), metadata())
    }
}
