import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

/// The socket client against a scripted loopback server.
@Suite struct SocketHTTPTransportTests {
    /// Answers every request on the connection with `respond` until the client closes.
    static func serve(
        _ respond: @escaping @Sendable (RawHTTPRequest, RawTCPConnection) -> [UInt8]
    ) -> @Sendable (RawTCPConnection) -> Void {
        { connection in
            while let request = connection.readRequest() {
                guard connection.write(respond(request, connection)) else { return }
            }
        }
    }

    private func get(
        _ server: RawTCPServer, path: String = "/debug/vars", timeout: Duration = .seconds(5), max: Int = 16 << 20
    ) -> HTTPRequest {
        HTTPRequest(endpoint: server.endpoint, path: path, timeout: timeout, maxResponseBytes: max)
    }

    @Test func hundredSequentialRequestsShareOneConnection() async throws {
        let seen = Mutex<[RawHTTPRequest]>([])
        let server = try RawTCPServer(
            handler: Self.serve { request, _ in
                let count = seen.withLock {
                    $0.append(request)
                    return $0.count
                }
                return RawTCPServer.response(text: "reply \(count)")
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        for index in 1...100 {
            let response = try await transport.send(get(server))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "reply \(index)")
        }
        #expect(server.acceptedConnections == 1)
        let first = try #require(seen.withLock { $0.first })
        #expect(first.method == "GET")
        #expect(first.target == "/debug/vars")
        #expect(first.header("Host") == "127.0.0.1:\(server.port)")
        #expect(first.header("User-Agent") == SocketHTTPTransportConfiguration.defaultUserAgent)
        #expect(first.header("Accept-Encoding") == "identity")
    }

    @Test func chunkedResponseWrittenInPieces() async throws {
        let server = try RawTCPServer(
            handler: Self.serve { _, connection in
                connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"")
                usleep(20_000)
                connection.write("\r\n3\r\n:1}\r\n0\r\n")
                usleep(20_000)
                return Array("Trailer-Field: x\r\n\r\n".utf8)
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        for _ in 0..<3 {
            let response = try await transport.send(get(server))
            #expect(String(decoding: response.body, as: UTF8.self) == "{\"a\":1}")
        }
        #expect(server.acceptedConnections == 1)
    }

    @Test func postSendsBodyWithContentLength() async throws {
        let server = try RawTCPServer(
            handler: Self.serve { request, _ in
                RawTCPServer.response(
                    text: "\(request.method) \(request.header("Content-Length") ?? "-") \(request.body.count)")
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        let request = HTTPRequest(
            method: "POST", endpoint: server.endpoint, path: "/_bulk", body: body, timeout: .seconds(10))
        let response = try await transport.send(request)
        #expect(String(decoding: response.body, as: UTF8.self) == "POST \(body.count) \(body.count)")
    }

    @Test func headAnd204LeaveTheConnectionReusable() async throws {
        let server = try RawTCPServer(
            handler: Self.serve { request, _ in
                switch request.target {
                case "/head": Array("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".utf8)
                case "/empty": Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)
                default: RawTCPServer.response(text: "after")
                }
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let head = try await transport.send(
            HTTPRequest(method: "HEAD", endpoint: server.endpoint, path: "/head", timeout: .seconds(5)))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("content-length") == "5000")
        #expect(try await transport.send(get(server, path: "/empty")).status == 204)
        #expect(try await transport.send(get(server)).body == Array("after".utf8))
        #expect(server.acceptedConnections == 1)
    }

    @Test func http10BodyUntilCloseAndConnectionCloseEndTheConnection() async throws {
        let server = try RawTCPServer { connection in
            guard connection.readRequest() != nil else { return }
            if connection.number == 1 {
                connection.write("HTTP/1.0 200 OK\r\n\r\nuntil close")
            } else {
                connection.write(RawTCPServer.response(headers: ["Connection: close"], text: "closing"))
                connection.waitForPeerClose(seconds: 5)
            }
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        #expect(try await transport.send(get(server)).body == Array("until close".utf8))
        #expect(try await transport.send(get(server)).body == Array("closing".utf8))
        #expect(try await transport.send(get(server)).body == Array("closing".utf8))
        #expect(server.acceptedConnections == 3)
    }

    @Test func serverClosingAnIdleConnectionIsNoticed() async throws {
        let server = try RawTCPServer { connection in
            guard connection.readRequest() != nil else { return }
            connection.write(RawTCPServer.response(text: "once"))
            // Return: the server closes the connection while it sits idle in the client's pool.
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        #expect(try await transport.send(get(server)).body == Array("once".utf8))
        for _ in 0..<200 where server.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await transport.send(get(server)).body == Array("once".utf8))
        #expect(server.acceptedConnections == 2)
    }

    @Test func anEncodedHeadIsSentAsItIsAndEncodedAsSendWouldWriteIt() async throws {
        let seen = Mutex<[RawHTTPRequest]>([])
        let server = try RawTCPServer(
            handler: Self.serve { request, _ in
                seen.withLock { $0.append(request) }
                return RawTCPServer.response(text: "ok")
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        var request = get(server)
        request.headers = [("X-Tenant", "blue")]
        let head = try #require(transport.encodedHead(of: request))
        #expect(String(decoding: head, as: UTF8.self).hasPrefix("GET /debug/vars HTTP/1.1\r\n"))
        #expect(String(decoding: head, as: UTF8.self).contains("\r\nX-Tenant: blue\r\n"))
        // Sent as it is: a head that names another target reaches the server with that target.
        request.encodedHead = Array(String(decoding: head, as: UTF8.self).replacing("/debug/vars", with: "/other").utf8)
        #expect(try await transport.send(request).status == 200)
        request.encodedHead = nil
        #expect(try await transport.send(request).status == 200)
        let targets = seen.withLock { $0.map(\.target) }
        #expect(targets == ["/other", "/debug/vars"])
        #expect(seen.withLock { $0.map { $0.header("X-Tenant") } } == ["blue", "blue"])
        // A request that cannot be sent has no head.
        request.method = "G T"
        #expect(transport.encodedHead(of: request) == nil)
    }

    @Test(arguments: ["GET", "POST"])
    func staleReusedConnectionIsRetriedOnceOnAFreshOne(method: String) async throws {
        let requests = Atomic<Int>(0)
        let server = try RawTCPServer { connection in
            while connection.readRequest() != nil {
                let count = requests.add(1, ordering: .relaxed).newValue
                // The first connection answers once, then drops the next request unanswered, as a
                // server does when its keep-alive timeout races with a new request.
                if connection.number == 1, count == 2 { return }
                connection.write(RawTCPServer.response(text: "ok \(count)"))
            }
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let request = HTTPRequest(
            method: method, endpoint: server.endpoint, body: Array("{}".utf8), timeout: .seconds(5))
        #expect(try await transport.send(request).body == Array("ok 1".utf8))
        #expect(try await transport.send(request).body == Array("ok 3".utf8))
        #expect(server.acceptedConnections == 2)
        #expect(requests.load(ordering: .relaxed) == 3)
    }

    @Test func freshConnectionClosedWithoutAnswerIsNotRetried() async throws {
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let failure = await capturedError { () async throws(HTTPError) in try await transport.send(get(server)) }
        #expect(failure == .connectionClosed("server closed the connection without responding"))
        #expect(server.acceptedConnections == 1)
    }

    @Test func serverThatNeverAnswersTimesOut() async throws {
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            connection.waitForPeerClose(seconds: 10)
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let started = ContinuousClock.now
        let failure = await capturedError { () async throws(HTTPError) in
            try await transport.send(get(server, timeout: .milliseconds(1000)))
        }
        let elapsed = ContinuousClock.now - started
        // The server would wait 10 s; one second of slack is for a loaded machine.
        #expect(failure == .timedOut(.milliseconds(1000)))
        #expect(elapsed >= .milliseconds(990))
        #expect(elapsed < .milliseconds(2000))
    }

    @Test func dripFeedingServerTimesOutAtTheTimeoutNotLater() async throws {
        let written = Atomic<Int>(0)
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789".utf8) {
                guard connection.write([byte]) else { return }
                written.add(1, ordering: .relaxed)
                sleep(1)
            }
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let started = ContinuousClock.now
        let failure = await capturedError { () async throws(HTTPError) in
            try await transport.send(get(server, timeout: .milliseconds(1500)))
        }
        let elapsed = ContinuousClock.now - started
        #expect(failure == .timedOut(.milliseconds(1500)))
        #expect(elapsed >= .milliseconds(1490))
        // The drip would last 50 s; one second of slack is for a loaded machine.
        #expect(elapsed < .milliseconds(2500))
        #expect(written.load(ordering: .relaxed) >= 1)
    }

    @Test(arguments: [true, false])
    func fiftyMebibyteBodyFailsAtTheLimitWithoutReadingItAll(announced: Bool) async throws {
        let total = 50 << 20
        let written = Atomic<Int>(0)
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            let head = announced ? "HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n" : "HTTP/1.1 200 OK\r\n\r\n"
            guard connection.write(head) else { return }
            let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
            for _ in 0..<50 {
                guard connection.write(block) else { return }
                written.add(block.count, ordering: .relaxed)
            }
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let failure = await capturedError { () async throws(HTTPError) in
            try await transport.send(get(server, timeout: .seconds(10), max: 1 << 20))
        }
        #expect(failure == .bodyTooLarge(limit: 1 << 20))
        for _ in 0..<400 where server.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.openConnections == 0)
        #expect(written.load(ordering: .relaxed) < total)
    }

    @Test func refusedConnectionFailsQuickly() async throws {
        // A bound socket that does not listen: connecting to its port is refused.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Int in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { return 0 }
                return Int(UInt16(bigEndian: pointer.pointee.sin_port))
            }
        }
        try #require(port > 0)
        let transport = SocketHTTPTransport()
        let started = ContinuousClock.now
        let failure = await capturedError { () async throws(HTTPError) in
            try await transport.send(
                HTTPRequest(
                    endpoint: Endpoint(scheme: "http", host: "127.0.0.1", port: port, path: "/"),
                    timeout: .seconds(10)))
        }
        // Refused, not timed out: the error says so, and it comes long before the 10 s timeout
        // (the bound leaves room for a loaded 2-core machine running the whole suite in parallel).
        #expect(failure?.code == "connect_failed")
        #expect(ContinuousClock.now - started < .seconds(3))
    }

    @Test func resetInTheMiddleOfTheBodyIsConnectionClosed() async throws {
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
            usleep(20_000)
            connection.resetOnClose()
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let failure = await capturedError { () async throws(HTTPError) in try await transport.send(get(server)) }
        #expect(failure?.code == "connection_closed")
    }

    @Test func closeInTheMiddleOfTheBodyIsConnectionClosed() async throws {
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let failure = await capturedError { () async throws(HTTPError) in try await transport.send(get(server)) }
        #expect(
            failure == .connectionClosed("server closed the connection after 10 body bytes, 990 more were announced"))
    }

    @Test func garbageIsAMalformedResponse() async throws {
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            var generator = SystemRandomNumberGenerator()
            connection.write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            connection.waitForPeerClose(seconds: 5)
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let failure = await capturedError { () async throws(HTTPError) in try await transport.send(get(server)) }
        #expect(failure?.code == "malformed_response")
    }

    @Test func thousandConcurrentRequestsToOneServerComplete() async throws {
        let server = try RawTCPServer(
            handler: Self.serve { request, _ in RawTCPServer.response(text: request.target) })
        defer { server.stop() }
        // Idle cap = connection cap, so no connection is closed and reopened: at most 16 in all.
        let transport = SocketHTTPTransport(
            configuration: .init(maxConnectionsPerHost: 16, maxIdleConnectionsPerHost: 16))
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for index in 0..<1000 {
                group.addTask {
                    let request = HTTPRequest(endpoint: server.endpoint, path: "/r\(index)", timeout: .seconds(20))
                    guard let response = try? await transport.send(request) else { return false }
                    return response.status == 200 && response.body == Array("/r\(index)".utf8)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0 })
        #expect(server.acceptedConnections <= 16)
    }

    @Test func cancellingTheTaskAbortsTheRequestAndClosesTheConnection() async throws {
        let peerClosed = Atomic<Bool>(false)
        let server = try RawTCPServer { connection in
            _ = connection.readRequest()
            if connection.waitForPeerClose(seconds: 10) { peerClosed.store(true, ordering: .relaxed) }
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let request = get(server, timeout: .seconds(30))
        let started = ContinuousClock.now
        let task = Task { () async -> HTTPError? in
            await capturedError { () async throws(HTTPError) in try await transport.send(request) }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let failure = await task.value
        #expect(failure == .connectionClosed("request cancelled"))
        #expect(ContinuousClock.now - started < .seconds(2))
        for _ in 0..<200 where !peerClosed.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        let closed = peerClosed.load(ordering: .relaxed)
        #expect(closed)
    }

    @Test func localhostNameIsResolvedWithoutALookup() async throws {
        let server = try RawTCPServer(handler: Self.serve { _, _ in RawTCPServer.response(text: "hi") })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let request = HTTPRequest(
            endpoint: Endpoint(scheme: "http", host: "localhost", port: server.port, path: "/"), timeout: .seconds(5))
        #expect(try await transport.send(request).body == Array("hi".utf8))
    }

    @Test func unknownSchemeAndShutdownAreRefused() async throws {
        let transport = SocketHTTPTransport()
        let other = HTTPRequest(
            endpoint: Endpoint(scheme: "ftp", host: "127.0.0.1", port: 1, path: "/"), timeout: .seconds(1))
        #expect(
            await capturedError { () async throws(HTTPError) in try await transport.send(other) }
                == .unsupportedScheme("ftp"))
        transport.shutdown()
        let plain = HTTPRequest(
            endpoint: Endpoint(scheme: "http", host: "127.0.0.1", port: 1, path: "/"), timeout: .seconds(1))
        #expect(
            await capturedError { () async throws(HTTPError) in try await transport.send(plain) }
                == .connectionClosed("the HTTP transport is shut down"))
    }

    @Test func numericHostThatNeedsTheResolverStillConnects() async throws {
        // `127.1` is not an inet_pton literal, so it goes through getaddrinfo (which reads it as
        // 127.0.0.1 without any DNS query) on the resolver queue.
        let server = try RawTCPServer(handler: Self.serve { _, _ in RawTCPServer.response(text: "resolved") })
        defer { server.stop() }
        #expect(SocketAddress.resolveWithoutLookup(host: "127.1", port: server.port) == nil)
        let transport = SocketHTTPTransport()
        let request = HTTPRequest(
            endpoint: Endpoint(scheme: "http", host: "127.1", port: server.port, path: "/"), timeout: .seconds(5))
        #expect(try await transport.send(request).body == Array("resolved".utf8))
        #expect(try await transport.send(request).body == Array("resolved".utf8))
        #expect(server.acceptedConnections == 1)
    }

    @Test func shutdownFailsRequestsInFlightAndReleasingClosesConnections() async throws {
        let stalling = Atomic<Bool>(false)
        let server = try RawTCPServer { connection in
            while let request = connection.readRequest() {
                if request.target == "/stall" {
                    stalling.store(true, ordering: .relaxed)
                    connection.waitForPeerClose(seconds: 10)
                    return
                }
                connection.write(RawTCPServer.response(text: "ok"))
            }
        }
        defer { server.stop() }
        do {
            let transport = SocketHTTPTransport()
            _ = try await transport.send(get(server))
            let stalled = Task { () async -> HTTPError? in
                await capturedError { () async throws(HTTPError) in
                    try await transport.send(get(server, path: "/stall"))
                }
            }
            for _ in 0..<400 where !stalling.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            transport.shutdown()
            #expect(await stalled.value == .connectionClosed("the HTTP transport is shut down"))
        }
        for _ in 0..<400 where server.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.openConnections == 0)
    }

    @Test func releasingTheTransportStopsItsLoopAndClosesIdleConnections() async throws {
        let server = try RawTCPServer(handler: Self.serve { _, _ in RawTCPServer.response(text: "x") })
        defer { server.stop() }
        var transport: SocketHTTPTransport? = SocketHTTPTransport()
        _ = try await transport?.send(get(server))
        #expect(server.openConnections == 1)
        transport = nil
        for _ in 0..<400 where server.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.openConnections == 0)
    }

    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() async throws {
        let server = try RawTCPServer(handler: Self.serve { _, _ in RawTCPServer.response(text: "x") })
        defer { server.stop() }
        let transport = SocketHTTPTransport(configuration: .init(idleTimeout: .milliseconds(200)))
        let sent = ContinuousClock.now
        _ = try await transport.send(get(server))
        for _ in 0..<400 where server.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.openConnections == 0)
        #expect(ContinuousClock.now - sent >= .milliseconds(200))
        withExtendedLifetime(transport) {}  // closing here must be the idle timeout, not deinit
    }

    /// Prints the process CPU per keep-alive GET of a 5 KB body (server thread included) so a
    /// regression shows up in the test log; the assertions check the exchange itself.
    @Test func cpuPerKeepAliveRequest() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 5000)
        let response = RawTCPServer.response(headers: ["Content-Type: application/json"], body: body)
        let server = try RawTCPServer(handler: Self.serve { _, _ in response })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let request = get(server)
        _ = try await transport.send(request)
        let count = 2000
        let before = Self.processCPUMicroseconds()
        var bytes = 0
        for _ in 0..<count { bytes += try await transport.send(request).body.count }
        let perRequest = Double(Self.processCPUMicroseconds() - before) / Double(count)
        print("SocketHTTPTransport: \(String(format: "%.1f", perRequest)) µs CPU per GET (client and server)")
        #expect(bytes == count * body.count)
        #expect(server.acceptedConnections == 1)
    }

    static func processCPUMicroseconds() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + usage.ru_utime.tv_usec
            + usage.ru_stime.tv_usec
    }
}
