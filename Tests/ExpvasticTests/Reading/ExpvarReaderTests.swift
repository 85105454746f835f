import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct ExpvarReaderTests {
    typealias H = ReaderHarness

    static func failure(_ transport: FakeTransport) async throws -> ReaderError {
        let (reader, _) = H.reader(transport: transport)
        let result: Result<Document, ReaderError>
        do {
            result = .success(try await reader.read(startedAtWallNanos: H.start)[0])
        } catch {
            result = .failure(error)
        }
        guard case .failure(let error) = result else {
            Issue.record("expected an error")
            throw CancellationError()
        }
        return error
    }

    @Test func successfulPollSendsTheConfiguredRequest() async throws {
        let transport = FakeTransport(status: 200, body: #"{"requests":7}"#)
        var configuration = H.configuration()
        configuration.headers = ["Authorization": Secret("Bearer t")]
        configuration.maxBodyBytes = 1000
        let metrics = MetricsRegistry()
        let reader = ExpvarReader(
            configuration: configuration, transport: transport, metrics: metrics,
            logger: Logger(component: "test", handler: NoOpLogHandler()))
        let document = try await reader.read(startedAtWallNanos: H.start)[0]
        #expect(try H.fields(document)["requests"] as? Int == 7)
        #expect(document.reader == "FirstApp")
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/debug/vars")
        #expect(request.endpoint.port == 1234)
        #expect(request.timeout == .seconds(3))
        #expect(request.maxResponseBytes == 1000)
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Bearer t" })
        let bytes = MetricKey("bytes_read", labels: [MetricKey.Label("reader", "FirstApp")])
        #expect(metrics.value(bytes) == .counter(14))
    }

    @Test func theRequestHeadIsEncodedOnceAndSentWithEveryPoll() async throws {
        let transport = FakeTransport([.success(HTTPResponse(status: 200, body: Array("{}".utf8)))], encodesHeads: true)
        let (reader, _) = H.reader(transport: transport)
        for poll in 0..<3 { _ = try await reader.read(startedAtWallNanos: H.start + Int64(poll) * 1_000_000_000) }
        #expect(transport.headsEncodedCount == 1)
        #expect(transport.requests.map(\.encodedHead) == Array(repeating: Array("GET /debug/vars".utf8), count: 3))
        // A transport that encodes no heads gets requests without one, and is asked on every poll.
        let plain = FakeTransport()
        let (other, _) = H.reader(transport: plain)
        for _ in 0..<2 { _ = try await other.read(startedAtWallNanos: H.start) }
        #expect(plain.requests.map(\.encodedHead) == [nil, nil])
    }

    @Test func non2xxStatusShowsStatusAndSanitisedBody() async throws {
        let error = try await Self.failure(
            FakeTransport(status: 503, body: "upstream\ndown \u{1B}[2J" + String(repeating: "x", count: 500)))
        #expect(error.code == "http_status")
        #expect(error.message.contains("HTTP 503"))
        #expect(error.message.contains("http://localhost:1234/debug/vars"))
        #expect(error.message.contains(#"upstream\ndown \x1B[2J"#))
        #expect(!error.message.contains("\n"))
        #expect(error.message.count < 400)
    }

    @Test func transportErrorsKeepTheirCode() async throws {
        let error = try await Self.failure(FakeTransport([.failure(.timedOut(.seconds(3)))]))
        #expect(error.code == "timeout")
        #expect(error.message.contains("localhost:1234"))
        let large = try await Self.failure(FakeTransport([.failure(.bodyTooLarge(limit: 10))]))
        #expect(large.code == "body_too_large")
    }

    @Test(arguments: [
        ("", "empty_body"), ("<!DOCTYPE html><html>login</html>", "not_json_object"), ("[1,2,3]", "not_json_object"),
        (#"{"a":1"#, "invalid_json"), (#"{"a":1}garbage"#, "invalid_json"), ("{\"a\":\"\u{1}\"}", "invalid_json"),
    ])
    func hostileBodies(body: String, code: String) async throws {
        let error = try await Self.failure(FakeTransport(status: 200, body: body))
        #expect(error.code == code, "\(error)")
        #expect(error.message.contains("byte"))
        let prefix = "GET http://localhost:1234/debug/vars returned HTTP 200 with an unusable body: "
        #expect(error.message.hasPrefix(prefix))
    }

    @Test func randomBytesNeverCrash() async throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var body: [UInt8] = Array(#"{"a":"#.utf8)
            for _ in 0..<Int(generator.next() % 64) { body.append(UInt8(truncatingIfNeeded: generator.next())) }
            let (reader, _) = H.reader()
            do {
                let document = try reader.document(fromBody: body, startedAtWallNanos: H.start)
                #expect((try? H.fields(document)) != nil, "\(body)")
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func invalidUTF8IsAnError() throws {
        let (reader, _) = H.reader()
        #expect(throws: ReaderError.self) {
            try reader.document(
                fromBody: Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), startedAtWallNanos: 0)
        }
    }

    @Test func depthLimitFromConfiguration() throws {
        var configuration = H.configuration()
        configuration.maxDepth = 2
        let reader = ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: MetricsRegistry(),
            logger: Logger(component: "test", handler: NoOpLogHandler()))
        #expect(throws: ReaderError.self) {
            try reader.document(fromBody: Array(#"{"a":{"b":{"c":1}}}"#.utf8), startedAtWallNanos: 0)
        }
        #expect(throws: Never.self) {
            try reader.document(fromBody: Array(#"{"a":{"b":1}}"#.utf8), startedAtWallNanos: 0)
        }
    }
}
