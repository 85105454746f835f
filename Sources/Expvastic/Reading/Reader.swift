import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Produces the documents of one poll: one for an expvar or self reader, several when a payload is
/// split per entity or a Prometheus scrape has several label sets. The engine owns scheduling,
/// skipping and backoff; a reader only knows how to read once.
public protocol Reader: Sendable {
    /// The reader's name from the configuration.
    var name: String { get }
    /// Polls once. `startedAtWallNanos` becomes the documents' `@timestamp`. Returns the poll's
    /// documents, in a stable order (never empty for a successful poll of an expvar or self reader).
    /// Throws ``ReaderError`` with a message that says what was wrong.
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document]
    /// Polls once for the scheduled `slot` (nil outside a schedule, e.g. `--once`). A reader that
    /// implements it gives its documents slot-based ids (``DocumentID/make(reader:endpoint:entity:slot:)``);
    /// the default ignores the slot and calls ``read(startedAtWallNanos:)``. The engine calls this one.
    func read(startedAtWallNanos: Int64, slot: PollSlot?) async throws(ReaderError) -> [Document]
    /// The URL it polls, for the status page; nil for readers without one (`self`).
    var endpoint: String? { get }
    /// Fields dropped since start by reason (``DropReason/label``), only reasons with a count.
    var droppedFields: [(reason: String, count: Int)] { get }
    /// A discovered target's labels, sorted by name (empty for a reader with one `endpoint`).
    var labels: [(name: String, value: String)] { get }
}

extension Reader {
    public func read(startedAtWallNanos: Int64, slot: PollSlot?) async throws(ReaderError) -> [Document] {
        try await read(startedAtWallNanos: startedAtWallNanos)
    }

    /// No endpoint unless the reader says so.
    public var endpoint: String? { nil }
    /// Nothing dropped unless the reader says so.
    public var droppedFields: [(reason: String, count: Int)] { [] }
    /// No labels unless the reader says so.
    public var labels: [(name: String, value: String)] { [] }
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
