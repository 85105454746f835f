import ExpvasticBase

/// Why an etcd request failed: on every endpoint (``unreachable``), or with an answer etcd gave.
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable code for logs and metrics.
    public enum Code: String, Sendable, Equatable {
        /// No endpoint answered (each one refused, timed out or closed the connection).
        case unreachable
        /// An endpoint answered with an error status (`etcdserver: …` in the message).
        case refused
        /// The lease named in the request does not exist (any more): it expired or was revoked.
        case leaseNotFound = "lease_not_found"
        /// The answer was not the JSON the gateway writes.
        case malformedResponse = "malformed_response"
        /// `username`/`password` were not accepted.
        case authenticationFailed = "authentication_failed"
    }

    public var code: Code
    /// What went wrong, naming the endpoint(s) and etcd's own message.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "etcd: " + message }
}
