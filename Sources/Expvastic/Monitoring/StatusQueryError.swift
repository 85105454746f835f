import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// A query parameter of `/` or `/api/v1/targets` that cannot be used (answered with 400).
public struct StatusQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong and what to send instead.
    public var message: String

    /// An error with its message.
    public init(message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
