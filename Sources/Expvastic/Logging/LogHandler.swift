import Synchronization

/// One log event, as handed to a ``LogHandler``.
public struct LogRecord: Sendable, Equatable {
    /// Wall-clock time, nanoseconds since the Unix epoch.
    public var wallNanos: Int64
    public var level: LogLevel
    /// The component that speaks, e.g. `reader.FirstApp` or `recorder.main_elasticsearch`.
    public var component: String
    public var message: String
    public var metadata: [String: String]

    public init(wallNanos: Int64, level: LogLevel, component: String, message: String, metadata: [String: String]) {
        self.wallNanos = wallNanos
        self.level = level
        self.component = component
        self.message = message
        self.metadata = metadata
    }

    /// `2026-11-21T18:00:00.123Z warn reader.app poll failed error="timed out" reader.failures=3`:
    /// one line, metadata sorted by key, values quoted when they contain spaces, quotes or `=`.
    public var formatted: String {
        var line = RFC3339.format(millis: wallNanos / 1_000_000)
        line += " " + level.description + " " + component + " " + message
        for key in metadata.keys.sorted() {
            line += " " + key + "=" + LogRecord.quoteIfNeeded(metadata[key]!)
        }
        return line
    }

    package static func quoteIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}

/// Where log records go. Implementations must be cheap and thread-safe.
public protocol LogHandler: Sendable {
    func log(_ record: LogRecord)
}

/// Writes one line per record to standard error.
public struct StderrLogHandler: LogHandler {
    public init() {}

    public func log(_ record: LogRecord) {
        StandardStream.error.write(record.formatted + "\n")
    }
}

/// Keeps records in memory; for tests.
public final class InMemoryLogHandler: LogHandler {
    private let storage = Mutex<[LogRecord]>([])

    public init() {}

    public func log(_ record: LogRecord) {
        storage.withLock { $0.append(record) }
    }

    /// Everything logged so far, oldest first.
    public var records: [LogRecord] { storage.withLock { $0 } }
}

/// Discards everything.
public struct NoOpLogHandler: LogHandler {
    public init() {}
    public func log(_ record: LogRecord) {}
}
