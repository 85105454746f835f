import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Why a recorder could not do something: a stable `code` for logs and metrics and a message that
/// says what was wrong and what to do. Never contains credentials.
public struct RecorderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, snake_case: `version_unreadable`, `bad_index_name`, `file_unwritable`, …
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The first bytes of a response body, printable, for error messages.
    package static func excerpt(_ body: [UInt8], limit: Int = 200) -> String {
        if body.isEmpty { return "empty body" }
        let head = String(decoding: body.prefix(limit), as: UTF8.self)
        let cleaned = String(head.map { $0.isNewline ? " " : $0 })
        return "\"" + cleaned + (body.count > limit ? "…" : "") + "\""
    }
}
