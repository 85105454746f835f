/// Produces one document per poll. The engine owns scheduling, skipping and backoff;
/// a reader only knows how to read once.
public protocol Reader: Sendable {
    /// The reader's name from the configuration.
    var name: String { get }
    /// Polls once. `startedAtWallNanos` becomes the document's `@timestamp`.
    /// Throws ``ReaderError`` with a message that says what was wrong.
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> Document
}

/// Why a poll produced no document.
public struct ReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable code for metrics and logs (`http_status`, `timeout`, `invalid_json`, …).
    public var code: String
    /// What was wrong and, where it helps, what to do.
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
