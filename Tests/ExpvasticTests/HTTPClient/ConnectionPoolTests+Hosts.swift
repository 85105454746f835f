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
        let transport = SocketHTTPTransport()
        for server in servers {
            let response = try await transport.send(
                HTTPRequest(endpoint: server.endpoint, path: "/", timeout: .seconds(5)))
            #expect(response.status == 200)
        }
        // Kept alive (idle, 30 s by default): the hosts are still known, however slowly the
        // requests went out on a loaded machine.
        #expect(transport.hostsKnown == 20)
        // The servers close the idle connections: the pool notices and forgets the hosts.
        for server in servers { server.stop() }
        for _ in 0..<1500 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transport.hostsKnown == 0)
        // A host that comes back is served as before.
        let again = try RawTCPServer(handler: Self.serve(close: false))
        defer { again.stop() }
        let response = try await transport.send(HTTPRequest(endpoint: again.endpoint, path: "/", timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(transport.hostsKnown == 1)
    }

    @Test func aHostIsForgottenWhenItsIdleConnectionTimesOut() async throws {
        let server = try RawTCPServer(handler: Self.serve(close: false))
        defer { server.stop() }
        let transport = SocketHTTPTransport(configuration: .init(idleTimeout: .milliseconds(200)))
        let response = try await transport.send(HTTPRequest(endpoint: server.endpoint, path: "/", timeout: .seconds(5)))
        #expect(response.status == 200)
        for _ in 0..<1500 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transport.hostsKnown == 0)
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
        // The request fails as soon as the connect is refused; the loop forgets the host just after.
        for _ in 0..<300 where transport.hostsKnown > 0 { try await Task.sleep(for: .milliseconds(10)) }
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
