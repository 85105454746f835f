import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

/// The socket client's `https` against a real TLS server (Python's `ssl`, a certificate made with
/// the `openssl` command for each test) and against scripted peers that break the handshake.
///
/// The certificate is trusted through the transport's test-only `extraTrustedCertificatesFile`, not
/// `SSL_CERT_FILE`: setting the environment in a process whose other tests run on other threads is
/// not safe. `HTTPSEndToEndTests` checks `SSL_CERT_FILE` with the real binary.
@Suite struct SocketHTTPTransportTLSTests {
    private func trusting(_ certificate: TLSTestServer.Certificate) -> SocketHTTPTransportConfiguration {
        var configuration = SocketHTTPTransportConfiguration()
        configuration.extraTrustedCertificatesFile = certificate.certificateFile
        return configuration
    }

    /// Runs `body` with a TLS test server (a fresh self-signed certificate for 127.0.0.1 and
    /// localhost) and a transport that trusts that certificate or not; stops both afterwards.
    private func withServer(
        trustingItsCertificate trusted: Bool, _ body: (TLSTestServer, SocketHTTPTransport) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "expvastic-tls") { directory in
            let certificate = try await TLSTestServer.makeCertificate(in: directory)
            let server = try await TLSTestServer(directory: directory, certificate: certificate)
            defer { server.stop() }
            let transport = SocketHTTPTransport(configuration: trusted ? trusting(certificate) : .init())
            defer { transport.shutdown() }
            try await body(server, transport)
        }
    }

    private func tlsMessage(_ error: HTTPError?) -> String? {
        if case .tlsFailed(let message) = error { return message }
        return nil
    }

    private func json(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func getOverHTTPSKeepsTheConnectionAlive(host: String) async throws {
        try await withServer(trustingItsCertificate: true) { server, transport in
            for index in 1...3 {
                let response = try await transport.send(
                    HTTPRequest(endpoint: server.endpoint(host: host, path: "/debug/vars"), timeout: .seconds(10)))
                #expect(response.status == 200)
                let body = try json(response)
                #expect(body["target"] as? String == "/debug/vars")
                #expect(body["connection"] as? Int == 1)
                #expect(body["request"] as? Int == index)
            }
            #expect(!server.log.contains("accepted 2"))
        }
    }

    @Test func postOfAMebibyteIsEchoedAndTheConnectionReused() async throws {
        try await withServer(trustingItsCertificate: true) { server, transport in
            var random = SplitMix64(seed: 42)
            let body = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let post = try await transport.send(
                HTTPRequest(
                    method: "POST", endpoint: server.endpoint(), path: "/_bulk", body: body, timeout: .seconds(20)))
            #expect(post.status == 200)
            #expect(post.body.count == body.count)
            #expect(post.body == body)
            let get = try await transport.send(HTTPRequest(endpoint: server.endpoint(), timeout: .seconds(10)))
            #expect(get.header("X-Connection") == "1")
            #expect(get.header("X-Request") == "2")
        }
    }

    @Test func concurrentRequestsEachGetTheirOwnAnswer() async throws {
        try await withServer(trustingItsCertificate: true) { server, transport in
            let endpoint = server.endpoint()
            let targets = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let response = try await transport.send(
                            HTTPRequest(endpoint: endpoint, path: "/r\(index)", timeout: .seconds(20)))
                        let body = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
                        return ("/r\(index)", body?["target"] as? String)
                    }
                }
                var pairs: [(String, String?)] = []
                for try await pair in group { pairs.append(pair) }
                return pairs
            }
            #expect(targets.count == 24)
            for (sent, answered) in targets { #expect(sent == answered) }
        }
    }

    @Test func serverClosingAnIdleTLSConnectionIsNoticed() async throws {
        try await withServer(trustingItsCertificate: true) { server, transport in
            let first = try await transport.send(
                HTTPRequest(endpoint: server.endpoint(path: "/close"), timeout: .seconds(10)))
            #expect(first.header("X-Connection") == "1")
            try await eventually("the server closed connection 1") { server.log.contains("closed 1") }
            let second = try await transport.send(HTTPRequest(endpoint: server.endpoint(), timeout: .seconds(10)))
            #expect(second.status == 200)
            #expect(second.header("X-Connection") == "2")
            #expect(second.header("X-Request") == "1")
        }
    }

    @Test func untrustedCertificateFailsFastWithTheVerifyReason() async throws {
        try await withServer(trustingItsCertificate: false) { server, transport in
            let started = ContinuousClock.now
            let failure = await capturedError { () async throws(HTTPError) in
                try await transport.send(HTTPRequest(endpoint: server.endpoint(), timeout: .seconds(10)))
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(failure?.code == "tls_failed")
            let message = try #require(tlsMessage(failure))
            #expect(
                message
                    == "handshake with 127.0.0.1:\(server.port): certificate verify failed: self-signed certificate "
                    + "(set SSL_CERT_FILE to a CA bundle that includes the server's issuer, or SSL_CERT_DIR)")
            try await eventually("the server saw the handshake fail") { server.log.contains("handshake-failed 1") }
        }
    }

    @Test(arguments: [("127.0.0.1", "IP address mismatch"), ("localhost", "hostname mismatch")])
    func certificateForAnotherNameFails(host: String, reason: String) async throws {
        try await withTemporaryDirectory(prefix: "expvastic-tls") { directory in
            let certificate = try await TLSTestServer.makeCertificate(
                in: directory, subjectAltName: "DNS:other.example")
            let server = try await TLSTestServer(directory: directory, certificate: certificate)
            defer { server.stop() }
            let transport = SocketHTTPTransport(configuration: trusting(certificate))
            defer { transport.shutdown() }
            let failure = await capturedError { () async throws(HTTPError) in
                try await transport.send(HTTPRequest(endpoint: server.endpoint(host: host), timeout: .seconds(10)))
            }
            #expect(
                tlsMessage(failure)
                    == "handshake with \(host):\(server.port): certificate verify failed: \(reason) "
                    + "(the certificate is not valid for \(host))")
        }
    }

    /// What a fresh transport's https GET of `server` fails with (nil: it succeeded).
    func httpsFailure(from server: RawTCPServer, timeout: Duration) async -> HTTPError? {
        let transport = SocketHTTPTransport()
        defer { transport.shutdown() }
        let endpoint = Endpoint(scheme: "https", host: "127.0.0.1", port: server.port, path: "/")
        return await capturedError { () async throws(HTTPError) in
            try await transport.send(HTTPRequest(endpoint: endpoint, timeout: timeout))
        }
    }

    @Test func serverThatNeverSpeaksTLSTimesOutAtTheTimeout() async throws {
        let server = try RawTCPServer { connection in connection.waitForPeerClose(seconds: 10) }
        defer { server.stop() }
        let started = ContinuousClock.now
        let failure = await httpsFailure(from: server, timeout: .milliseconds(500))
        let elapsed = ContinuousClock.now - started
        #expect(failure == .timedOut(.milliseconds(500)))
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < .seconds(3))
        // The server's accept thread may only now get to the connection the client already closed.
        try await eventually("the server accepted the connection and saw it closed") {
            server.acceptedConnections == 1 && server.openConnections == 0
        }
    }

    @Test(arguments: [false, true])
    func serverClosingDuringTheHandshakeFails(reset: Bool) async throws {
        let server = try RawTCPServer { connection in
            guard Self.readRecord(connection) != nil else { return }
            if reset { connection.resetOnClose() }
        }
        defer { server.stop() }
        let started = ContinuousClock.now
        let failure = await httpsFailure(from: server, timeout: .seconds(10))
        #expect(ContinuousClock.now - started < .seconds(5))
        let message = try #require(tlsMessage(failure), "\(String(describing: failure))")
        if reset {
            #expect(message == "handshake with 127.0.0.1:\(server.port) failed: Connection reset by peer")
        } else {
            #expect(
                message
                    == "127.0.0.1:\(server.port) closed the connection during the TLS handshake (is it an https server?)"
            )
        }
    }

    @Test func plainHTTPServerBehindAnHTTPSEndpointFails() async throws {
        let server = try RawTCPServer { connection in
            guard Self.readRecord(connection) != nil else { return }
            connection.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            connection.waitForPeerClose(seconds: 10)
        }
        defer { server.stop() }
        let failure = await httpsFailure(from: server, timeout: .seconds(10))
        let message = try #require(tlsMessage(failure), "\(String(describing: failure))")
        #expect(message.hasPrefix("handshake with 127.0.0.1:\(server.port) failed: error:"))
        #expect(message.hasSuffix("wrong version number"))
    }

    @Test func missingLibraryIsAClearError() throws {
        guard case .failure(.tlsFailed(let missing)) = OpenSSL.load(["libexpvastic-missing.so.3"]) else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(
            missing.hasPrefix(
                "https needs OpenSSL 3 (libssl.so.3, Debian package libssl3), which could not be loaded; tried "
                    + "libexpvastic-missing.so.3: "))
        guard case .failure(.tlsFailed(let notSSL)) = OpenSSL.load(["libc.so.6"]) else {
            Issue.record("libc loaded as OpenSSL")
            return
        }
        #expect(notSSL.contains("libc.so.6: lacks TLS_client_method, SSL_CTX_new"))
        #expect(OpenSSL.candidates == ["libssl.so.3", "libssl.so", "libssl.so.1.1"])
    }

    /// Reads one TLS record (the ClientHello) from a scripted peer; nil when it did not arrive.
    static func readRecord(_ connection: RawTCPConnection) -> [UInt8]? {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let header = readExactly(connection.fd, count: 5), header[0] == 0x16 else { return nil }
        let length = Int(header[3]) << 8 | Int(header[4])
        return readExactly(connection.fd, count: length).map { header + $0 }
    }

    private static func readExactly(_ fd: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        for _ in 0..<1000 where filled < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if got < 0, errno == EINTR { continue }
            if got <= 0 { return nil }
            filled += got
        }
        return filled == count ? bytes : nil
    }
}
