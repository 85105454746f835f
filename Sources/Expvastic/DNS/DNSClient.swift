import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// Asks one nameserver over UDP, blocking (run it on a ``BlockingExecutor``): one question per
/// call, a fresh socket each time (connected, so only the server's answers are read), answers with
/// another id ignored, `timeout` bounding the whole exchange.
package struct DNSClient: Sendable {
    package let nameserver: DNSNameserver
    package let timeout: Duration

    package init(nameserver: DNSNameserver, timeout: Duration) {
        self.nameserver = nameserver
        self.timeout = timeout
    }

    package enum Failure: Error, Sendable, Equatable {
        case timeout
        case socket(String)
        case malformed
        /// The answer did not fit into one UDP datagram (TCP is not implemented).
        case truncated
        case responseCode(UInt8)
    }

    package func query(_ name: String, type: UInt16) throws(Failure) -> DNSMessage.Response {
        guard let address = nameserver.socketAddress else { throw .socket("\(nameserver) is not an IP address") }
        let descriptor = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .socket("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let connected = address.withSockAddr { connect(descriptor, $0, $1) }
        guard connected == 0 else { throw .socket("connect \(nameserver): \(String(cString: strerror(errno)))") }
        let id = UInt16.random(in: 0...UInt16.max)
        let question = DNSMessage.query(id: id, name: name, type: type)
        let sent = question.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == question.count else {
            throw .socket("send to \(nameserver): \(String(cString: strerror(errno)))")
        }
        let deadline = DNSClient.now() &+ timeout.nanoseconds
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while true {
            let now = DNSClient.now()
            guard now < deadline else { throw .timeout }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .socket("poll: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                // ECONNREFUSED: nothing listens on the nameserver's port.
                throw .socket("\(nameserver): \(String(cString: strerror(errno)))")
            }
            let response: DNSMessage.Response
            do {
                response = try DNSMessage.parse(Array(buffer[..<count]))
            } catch {
                throw .malformed
            }
            guard response.id == id else { continue }
            if response.truncated { throw .truncated }
            // NXDOMAIN is an answer: the name has no records.
            guard response.responseCode == 0 || response.responseCode == 3 else {
                throw .responseCode(response.responseCode)
            }
            return response
        }
    }

    package static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
