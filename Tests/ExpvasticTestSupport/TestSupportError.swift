/// Why a piece of the test support could not do its job: a missing tool, a failed build, a child
/// process that did not answer in time. The message says what was wrong and what to do.
public struct TestSupportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A stable identifier for the kind of failure; tests may match on it.
    public enum Code: String, Sendable {
        /// The repository root (the folder holding `Package.swift`) could not be found.
        case repositoryNotFound = "repository-not-found"
        /// The Go toolchain is not on `PATH`.
        case goMissing = "go-missing"
        /// `go build` of `Tests/GoExpvar` failed.
        case goBuildFailed = "go-build-failed"
        /// A binary the tests need (`expvasyml`, `osmem-server`) does not exist.
        case binaryMissing = "binary-missing"
        /// A child process could not be started.
        case launchFailed = "launch-failed"
        /// A child process or a condition did not get there before its deadline.
        case timeout = "timeout"
        /// A child process or a server answered something unexpected.
        case unexpectedOutput = "unexpected-output"
        /// A socket call failed.
        case socket = "socket"
    }

    /// The kind of failure.
    public let code: Code
    /// What was wrong and what to do about it.
    public let message: String

    /// Creates an error with a stable `code` and a message that says what to do.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
