import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// Per-host state of the connection pool is released when nothing is left of a host: targets that
/// go away (discovery, reload) must not leave entries behind (issue 14).
extension ConnectionPoolTests {
    static func serve(close: Bool) -> @Sendable (RawTCPConnection) -> Void {
        { connection in
            while connection.readRequest() != nil {
                let headers = close ? ["Connection: close"] : []
                guard connection.write(RawTCPServer.response(headers: headers, text: "x")), !close else { return }
            }
        }
    }

    @Test func hostsAreForgottenWhenTheirLastConnectionCloses() async throws {
        let servers = try (0..<20).map { _ in try RawTCPServer(handler: Self.serve(close: false)) }
        defer { for server in servers { server.stop() } }
        // Long enough that all 20 stay idle (kept) while the requests go out one after another on a
        // loaded machine; then the test waits for them to expire.
        let transport = SocketHTTPTransport(configuration: .init(idleTimeout: .seconds(3)))
        for server in servers {
            let response = try await transport.send(
                HTTPRequest(endpoint: server.endpoint, path: "/", timeout: .seconds(5)))
            #expect(response.status == 200)
        }
        // Kept alive (idle) until the idle timeout: the hosts are still known.
        #expect(transport.hostsKnown == 20)
        for _ in 0..<1500 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transport.hostsKnown == 0)
        // A host that comes back is served as before.
        let again = try await transport.send(
            HTTPRequest(endpoint: servers[0].endpoint, path: "/", timeout: .seconds(5)))
        #expect(again.status == 200)
        #expect(transport.hostsKnown == 1)
    }

    @Test func closedAndRefusedConnectionsLeaveNothing() async throws {
        let server = try RawTCPServer(handler: Self.serve(close: true))
        let endpoint = server.endpoint
        let transport = SocketHTTPTransport()
        for _ in 0..<3 {
            let response = try await transport.send(HTTPRequest(endpoint: endpoint, path: "/", timeout: .seconds(5)))
            #expect(response.status == 200)
        }
        for _ in 0..<300 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transport.hostsKnown == 0)
        server.stop()
        await #expect(throws: HTTPError.self) {
            _ = try await transport.send(HTTPRequest(endpoint: endpoint, path: "/", timeout: .seconds(5)))
        }
        #expect(transport.hostsKnown == 0)
        // A name that needs a lookup and fails: the lookup's state goes too.
        await #expect(throws: HTTPError.self) {
            _ = try await transport.send(
                HTTPRequest(
                    endpoint: Endpoint(scheme: "http", host: "no-such-host.invalid", port: 80, path: "/"),
                    timeout: .seconds(5)))
        }
        for _ in 0..<300 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transport.hostsKnown == 0)
    }
}
