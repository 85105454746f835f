import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

/// A command line `expvasyml` cannot act on; exits with ``ExitCode/usage`` (64).
public struct CommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of usage error; stable across releases.
    public enum Code: String, Sendable, Equatable {
        case unknownOption = "unknown_option"
        case missingValue = "missing_value"
        case unexpectedArgument = "unexpected_argument"
        case conflictingOptions = "conflicting_options"
        case noConfiguration = "no_configuration"
    }

    /// What kind of usage error.
    public var code: Code
    /// What was wrong and what to do, one line.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
