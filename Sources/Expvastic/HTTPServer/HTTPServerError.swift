import ExpvasticBase

/// Why an ``HTTPServer`` could not start.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes.
    public enum Code: String, Sendable, Equatable {
        /// `settings.http.listen` (or the host/port given) cannot be used.
        case invalidListenAddress = "http_server.invalid_listen_address"
        /// `bind(2)` failed: the port is taken or the address is not local.
        case bindFailed = "http_server.bind_failed"
        /// A socket, `listen(2)`, `pipe(2)` or `poll(2)` call failed.
        case systemCallFailed = "http_server.system_call_failed"
        /// ``HTTPServer/start()`` after the server was stopped; a server runs once.
        case alreadyStopped = "http_server.already_stopped"
    }

    public var code: Code
    /// What was wrong and what to do.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
