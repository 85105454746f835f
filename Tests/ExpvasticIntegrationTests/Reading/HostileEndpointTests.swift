import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// `expvasyml --once` against endpoints that misbehave: each is a clear one-line error, exit 1,
/// within the reader's timeout, never a crash.
@Suite struct HostileEndpointTests {
    enum Behaviour: String, CaseIterable, Sendable {
        case notFoundPage, serverErrorPage, truncatedJSON, arrayRoot, emptyBody, fiftyMebibytes, deepNesting
        case invalidUTF8, dripsPastTheTimeout, neverAnswers
    }

    /// What the error line must say, in the user's words.
    static func expectedText(_ behaviour: Behaviour) -> [String] {
        switch behaviour {
        case .notFoundPage: ["404"]
        case .serverErrorPage: ["500"]
        case .truncatedJSON: ["truncated"]
        case .arrayRoot: ["object"]
        case .emptyBody: ["empty"]
        case .fiftyMebibytes: ["larger than"]
        case .deepNesting: ["deep"]
        case .invalidUTF8: ["UTF-8"]
        case .dripsPastTheTimeout, .neverAnswers: ["no complete response within 1"]
        }
    }

    static func serve(_ behaviour: Behaviour, on connection: RawTCPConnection) {
        guard connection.readRequest() != nil else { return }
        func body(_ bytes: [UInt8]) {
            _ = connection.write(
                RawTCPServer.response(headers: ["Content-Type: application/json"], body: bytes))
        }
        switch behaviour {
        case .notFoundPage:
            _ = connection.write(
                RawTCPServer.response(
                    status: 404, headers: ["Content-Type: text/html"], text: "<html>404 page not found</html>"))
        case .serverErrorPage:
            _ = connection.write(
                RawTCPServer.response(
                    status: 500, headers: ["Content-Type: text/html"], text: "<html><h1>oops</h1></html>"))
        case .truncatedJSON: body(Array(#"{"memstats":{"Alloc":12"#.utf8))
        case .arrayRoot: body(Array("[1,2,3]".utf8))
        case .emptyBody: body([])
        case .fiftyMebibytes:
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(50 << 20)\r\n\r\n{\"a\":\""
            guard connection.write(head) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            for _ in 0..<50 where connection.write(chunk) {}
        case .deepNesting:
            body(
                Array(
                    (String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)).utf8))
        case .invalidUTF8: body(Array(#"{"name":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8))
        case .dripsPastTheTimeout:
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\":1234}".utf8) {
                guard connection.write([byte]) else { return }
                sleep(1)
            }
        case .neverAnswers:
            _ = connection.waitForPeerClose(seconds: 10)
        }
    }

    @Test(arguments: Behaviour.allCases)
    func hostileEndpointIsAClearErrorNotACrash(_ behaviour: Behaviour) async throws {
        let server = try RawTCPServer { Self.serve(behaviour, on: $0) }
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("hostile.yml").path
        try """
        readers:
          hostile:
            type: expvar
            type_name: hostile
            endpoint: 127.0.0.1:\(server.port)
            timeout: 1s
        recorders:
          out: {type: file, path: \(directory.appendingPathComponent("out.ndjson").path)}
        routes:
          r: {readers: [hostile], recorders: [out]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let started = Date()
        let result = try await ExpvasymlBinary.run(arguments: ["-c", config, "--once"], timeout: .seconds(15))
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 1, "\(behaviour): exit \(result.status), stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("reader hostile") }
        #expect(lines.count == 1, "\(behaviour): \(result.stderr)")
        for text in Self.expectedText(behaviour) {
            #expect(lines.first?.contains(text) == true, "\(behaviour): \(lines.first ?? "") lacks \(text)")
        }
        #expect(elapsed < 5, "\(behaviour) took \(elapsed) s with a 1 s timeout")
        print("hostile \(behaviour.rawValue): \(String(format: "%.2f", elapsed)) s: \(lines.first ?? "")")
    }
}
