import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HTTPServerTests {
    static func makeServer(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> (HTTPServer, Int)
    {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration) { request in
            switch request.path {
            case "/hello": .text(200, "hello " + (request.queryParameter("name") ?? "world"))
            case "/inject":
                .text(200, "x", headers: [("X-Ok", "1"), ("X-Bad", "1\r\nSet-Cookie: a=b"), ("Content-Length", "99")])
            default: .text(404, "no")
            }
        }
        let port = try server.start()
        return (server, port)
    }

    @Test func servesGetHeadAnd404() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let results = try await Blocking.run {
            (
                try HTTPServerTestClient.get(port: port, "/hello?name=you"),
                try HTTPServerTestClient.get(port: port, "/hello", method: "HEAD"),
                try HTTPServerTestClient.get(port: port, "/nothing")
            )
        }
        #expect(results.0.status == 200)
        #expect(results.0.text == "hello you")
        #expect(results.0.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(results.1.status == 200)
        #expect(results.1.header("Content-Length") == "11")
        #expect(results.1.body.isEmpty)
        #expect(results.2.status == 404)
        #expect(server.statistics.requests == 3)
    }

    @Test func dropsHeadersThatWouldBreakTheFraming() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let response = try await Blocking.run { try HTTPServerTestClient.get(port: port, "/inject") }
        #expect(response.header("X-Ok") == "1")
        #expect(response.header("X-Bad") == nil)
        #expect(response.header("Set-Cookie") == nil)
        #expect(response.header("Content-Length") == "1")
        #expect(response.text == "x")
    }

    @Test func keepsConnectionsAliveAndAnswersPipelinedRequests() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let statuses = try await Blocking.run { () -> [Int] in
            let client = try HTTPServerTestClient(port: port)
            var statuses: [Int] = []
            try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses.append(try client.readResponse()?.status ?? 0)
            // Two requests in one write: both answered, in order.
            try client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses.append(try client.readResponse()?.status ?? 0)
            statuses.append(try client.readResponse()?.status ?? 0)
            try client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let last = try client.readResponse()
            statuses.append(last?.status ?? 0)
            statuses.append(last?.header("Connection") == "close" && client.isClosedByPeer() ? 1 : 0)
            return statuses
        }
        #expect(statuses == [200, 200, 404, 200, 1])
        #expect(server.statistics.acceptedConnections == 1)
    }

    @Test func http10ClosesByDefault() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let (status, closed) = try await Blocking.run { () -> (Int, Bool) in
            let client = try HTTPServerTestClient(port: port)
            try client.send("GET /hello HTTP/1.0\r\n\r\n")
            return (try client.readResponse()?.status ?? 0, client.isClosedByPeer())
        }
        #expect(status == 200)
        #expect(closed)
    }

    @Test func refusesOtherMethodsWithoutReadingTheirBodies() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let (response, closed) = try await Blocking.run { () -> (TestHTTPResponse?, Bool) in
            let client = try HTTPServerTestClient(port: port)
            try client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
            try client.send([UInt8](repeating: 65, count: 200_000))
            return (try client.readResponse(), client.isClosedByPeer())
        }
        #expect(response?.status == 405)
        #expect(response?.header("Allow") == "GET, HEAD")
        #expect(closed)
    }

    @Test(arguments: [
        ("\u{0}\u{1}\u{2}\u{3}\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n", 414),
        ("GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    ])
    func answersProtocolErrorsAndCloses(request: String, status: Int) async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let (response, closed) = try await Blocking.run { () -> (TestHTTPResponse?, Bool) in
            let client = try HTTPServerTestClient(port: port)
            try client.send(request)
            return (try client.readResponse(), client.isClosedByPeer())
        }
        #expect(response?.status == status)
        #expect(response?.header("Connection") == "close")
        #expect(closed)
        #expect(server.statistics.protocolErrors == 1)
    }

    @Test func rejectsAHugeHeaderSectionWith431() async throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let response = try await Blocking.run { () -> TestHTTPResponse? in
            let client = try HTTPServerTestClient(port: port)
            var request = Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8)
            request += [UInt8](repeating: UInt8(ascii: "b"), count: 1 << 20)
            request += Array("\r\n\r\n".utf8)
            // The server may stop reading before all of it is sent; that is fine.
            try? client.send(request)
            return try client.readResponse()
        }
        #expect(response?.status == 431)
    }

    @Test func closesIdleConnectionsAndCutsOffSlowRequests() async throws {
        let (server, port) = try Self.makeServer {
            $0.idleTimeout = .milliseconds(300)
            $0.requestHeadTimeout = .milliseconds(600)
            $0.lingerTimeout = .milliseconds(200)
        }
        defer { server.stop() }
        let (idleClosedAfter, slowStatus, slowClosedAfter) = try await Blocking.run {
            () -> (UInt64, Int, UInt64) in
            let idle = try HTTPServerTestClient(port: port)
            try idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try idle.readResponse()
            let idleStart = testNowNanos()
            guard idle.isClosedByPeer() else { return (0, 0, 0) }
            let idleClosedAfter = testNowNanos() - idleStart

            let slow = try HTTPServerTestClient(port: port)
            let slowStart = testNowNanos()
            var response: TestHTTPResponse?
            for byte in Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8) {
                if (try? slow.send([byte])) == nil { break }
                usleep(100_000)
                if testNowNanos() - slowStart > 700_000_000 { break }
            }
            response = try slow.readResponse()
            let closed = slow.isClosedByPeer()
            return (idleClosedAfter, closed ? response?.status ?? 0 : -1, testNowNanos() - slowStart)
        }
        #expect(idleClosedAfter >= 250_000_000 && idleClosedAfter < 1_500_000_000)
        #expect(slowStatus == 408)
        #expect(slowClosedAfter >= 600_000_000 && slowClosedAfter < 2_000_000_000)
        #expect(server.statistics.timedOutConnections == 2)
    }

    @Test func evictsTheLongestIdleConnectionAtTheLimit() async throws {
        let (server, port) = try Self.makeServer { $0.maxConnections = 4 }
        defer { server.stop() }
        let (firstClosed, status) = try await Blocking.run { () -> (Bool, Int) in
            let clients = try (0..<8).map { _ in try HTTPServerTestClient(port: port) }
            usleep(100_000)
            let response = try HTTPServerTestClient.get(port: port, "/hello")
            return (clients[0].isClosedByPeer(), response.status)
        }
        #expect(status == 200)
        #expect(firstClosed)
        let statistics = server.statistics
        #expect(statistics.openConnections <= 4)
        #expect(statistics.evictedConnections >= 5)
    }

    @Test func boundsResponseBytesWaitingForClientsThatDoNotRead() async throws {
        let big = [UInt8](repeating: 120, count: 8 << 20)
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.maxPendingResponseBytes = 10 << 20
        let server = HTTPServer(configuration: configuration) { _ in HTTPServerResponse(status: 200, body: big) }
        let port = try server.start()
        defer { server.stop() }
        let statuses = try await Blocking.run { () -> [Int] in
            let sleeper = try HTTPServerTestClient(port: port, receiveBufferBytes: 4096)
            try sleeper.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            usleep(200_000)
            let refused = try HTTPServerTestClient.get(port: port, "/big").status
            _ = consume sleeper
            usleep(200_000)
            let served = try HTTPServerTestClient.get(port: port, "/big")
            return [refused, served.status, served.body.count == big.count ? 1 : 0]
        }
        #expect(statuses == [503, 200, 1])
    }

    @Test func runStopsServingWhenCancelled() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0)) { _ in .text(200, "ok") }
        let port = try server.start()
        let task = Task { try await server.run() }
        let before = try await Blocking.run { try HTTPServerTestClient.get(port: port, "/").status }
        #expect(before == 200)
        let idle = try await Blocking.run { try HTTPServerTestClient(port: port) }
        task.cancel()
        try await task.value
        #expect(server.boundPort == nil)
        let idleClosed = await Blocking.run { idle.isClosedByPeer() }
        #expect(idleClosed)
        #expect(throws: TestClientError.self) { try HTTPServerTestClient(port: port) }
        #expect(throws: HTTPServerError.self) { try server.start() }
    }

    @Test func reportsAPortInUse() throws {
        let (server, port) = try Self.makeServer()
        defer { server.stop() }
        let second = HTTPServer(configuration: HTTPServerConfiguration(port: port)) { _ in .text(200, "") }
        #expect {
            try second.start()
        } throws: { error in
            (error as? HTTPServerError)?.code == .bindFailed
        }
    }
}
