import ExpvasticTestSupport
import Synchronization
import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

/// When a pooled connection may carry bytes nobody asked for, it is not reused.
@Suite struct ConnectionPoolTests {
    /// Elasticsearch 7.2.1's answer to a keep-alive request above `http.max_content_length`, byte
    /// for byte: `413` with no `Connection: close`, then (it parses the unread body as a request)
    /// an unsolicited HTTP/1.0 `400`, then it closes.
    static let tooLarge = "HTTP/1.1 413 Request Entity Too Large\r\ncontent-length: 0\r\n\r\n"
    static let staleBadRequest =
        "HTTP/1.0 400 Bad Request\r\ncontent-type: text/plain; charset=UTF-8\r\ncontent-length: 33\r\n\r\n"
        + "text is empty (possibly HTTP/0.9)"

    @Test func connectionIsNotReusedAfter413WithAStale400Behind() async throws {
        let secondConnection = Atomic<Bool>(false)
        let server = try RawTCPServer { connection in
            if connection.number > 1 {
                secondConnection.store(true, ordering: .relaxed)
                while connection.readRequest() != nil {
                    guard connection.write(RawTCPServer.response(text: "stored")) else { return }
                }
                return
            }
            guard connection.readRequest() != nil else { return }
            connection.write(Self.tooLarge)
            // The cluster sends its stale 400 a moment later. Sending it once the client has
            // chosen a connection for its next request makes the race come out the same way
            // every run: a client that reused this connection has written its request here.
            for _ in 0..<500 where !secondConnection.load(ordering: .relaxed) {
                if connection.waitForInput(milliseconds: 10) { break }
            }
            connection.write(Self.staleBadRequest)
        }
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        let request = HTTPRequest(
            method: "POST", endpoint: server.endpoint, path: "/_bulk", body: Array("{}\n".utf8), timeout: .seconds(5))
        #expect(try await transport.send(request).status == 413)
        let next = try await transport.send(request)
        #expect(next.status == 200)
        #expect(String(decoding: next.body, as: UTF8.self) == "stored")
        #expect(server.acceptedConnections == 2)
    }

    @Test func errorWithoutARequestBodyKeepsTheConnection() async throws {
        let server = try RawTCPServer(
            handler: SocketHTTPTransportTests.serve { request, _ in
                RawTCPServer.response(status: request.target == "/missing" ? 404 : 200, text: "x")
            })
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        #expect(
            try await transport.send(HTTPRequest(endpoint: server.endpoint, path: "/missing", timeout: .seconds(5)))
                .status == 404)
        #expect(
            try await transport.send(HTTPRequest(endpoint: server.endpoint, path: "/", timeout: .seconds(5))).status
                == 200)
        #expect(server.acceptedConnections == 1)
    }

    @Test func idleSocketWithPendingBytesOrEndOfInputIsNotQuiet() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer {
            close(pair[0])
            close(pair[1])
        }
        #expect(HTTPConnection.socketIsQuiet(pair[0]))
        let stale = Array(Self.staleBadRequest.utf8)
        #expect(write(pair[1], stale, stale.count) == stale.count)
        #expect(!HTTPConnection.socketIsQuiet(pair[0]))
        // Peeking leaves the bytes where they were.
        var buffer = [UInt8](repeating: 0, count: stale.count)
        #expect(read(pair[0], &buffer, buffer.count) == stale.count)
        #expect(buffer == stale)
        #expect(HTTPConnection.socketIsQuiet(pair[0]))
        shutdown(pair[1], Int32(SHUT_WR))
        #expect(!HTTPConnection.socketIsQuiet(pair[0]))
    }
}
