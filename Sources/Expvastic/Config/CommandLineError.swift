/// A command line `expvasyml` cannot act on; exits with ``ExitCode/usage`` (64).
public struct CommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case unknownOption = "unknown_option"
        case missingValue = "missing_value"
        case unexpectedArgument = "unexpected_argument"
        case conflictingOptions = "conflicting_options"
        case noConfiguration = "no_configuration"
    }

    public var code: Code
    /// What was wrong and what to do, one line.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
