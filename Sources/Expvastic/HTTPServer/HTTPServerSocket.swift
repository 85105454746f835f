import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// The few socket calls ``HTTPServer`` needs, with errors mapped to ``HTTPServerError``.
package enum HTTPServerSocket {
    package static func systemError(_ call: String) -> HTTPServerError {
        let code = errno
        return HTTPServerError(
            code: .systemCallFailed, message: "\(call) failed: \(String(cString: strerror(code))) (errno \(code))")
    }

    package static func setNonBlockingCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Creates a non-blocking listening socket bound to `configuration.host:port`; returns it and the port.
    package static func listen(_ configuration: HTTPServerConfiguration) throws(HTTPServerError) -> (
        fd: Int32, port: Int
    ) {
        guard (0...65535).contains(configuration.port) else {
            throw HTTPServerError(
                code: .invalidListenAddress, message: "port \(configuration.port) is not in 0-65535")
        }
        let host = configuration.host == "localhost" ? "127.0.0.1" : configuration.host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(configuration.port), &hints, &list)
        guard status == 0, let info = list else {
            throw HTTPServerError(
                code: .invalidListenAddress,
                message: "listen host \"\(configuration.host)\" is not a numeric IP address; use e.g. 127.0.0.1")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw systemError("socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            throw HTTPServerError(
                code: .bindFailed,
                message: "cannot listen on \(configuration.host):\(configuration.port): "
                    + "\(String(cString: strerror(code))); choose a free port or another settings.http.listen")
        }
        guard Glibc.listen(fd, Int32(max(1, configuration.backlog))) == 0 else {
            let error = systemError("listen")
            close(fd)
            throw error
        }
        setNonBlockingCloseOnExec(fd)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let error = systemError("getsockname")
            close(fd)
            throw error
        }
        let port: UInt16 =
            switch Int32(storage.ss_family) {
            case AF_INET6:
                withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                }
            default:
                withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                }
            }
        return (fd, Int(port))
    }
}
