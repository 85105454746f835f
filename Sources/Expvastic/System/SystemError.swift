#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call on a path: what was attempted, on which path, and `errno`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    /// Captures the current `errno`; call it right after the failure.
    package init(_ operation: String, _ path: String) {
        self.init(operation, path, errno: Glibc.errno)
    }

    package init(_ operation: String, _ path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The C library's text for ``errno``, e.g. `Permission denied`.
    public var reason: String { String(cString: strerror(errno)) }

    /// `cannot open /etc/x: Permission denied`.
    public var description: String { "cannot \(operation) \(path): \(reason)" }
}
