import Expvastic
import Synchronization
import Testing

/// Prometheus HTTP SD answers through a fake transport.
@Suite struct HTTPTargetFetcherTests {
    let url = try! Endpoint.parse("http://cmdb:8080/sd").get()

    func fetcher(status: Int, body: String) -> HTTPTargetFetcher {
        HTTPTargetFetcher(
            url: url, timeout: .seconds(1),
            transport: BulkFakeTransport { _ in HTTPResponse(status: status, body: Array(body.utf8)) })
    }

    @Test func aTargetGroupListBecomesTargetsWithTheirLabels() async throws {
        let body = #"[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"job": "node"}}]"#
        let answer = try await fetcher(status: 200, body: body).fetch()
        #expect(
            answer.targets == [
                DiscoveredTarget(address: "10.0.0.1:9100", labels: ["job": "node"]),
                DiscoveredTarget(address: "10.0.0.2:9100", labels: ["job": "node"]),
            ])
    }

    /// The same body again is not parsed again: the answer is the same array (which the refresh
    /// compares in constant time); another body is parsed.
    @Test func anUnchangedBodyGivesTheSameArray() async throws {
        let body = Mutex(#"[{"targets": ["10.0.0.1:9100"]}]"#)
        let fetcher = HTTPTargetFetcher(
            url: url, timeout: .seconds(1),
            transport: BulkFakeTransport { _ in HTTPResponse(status: 200, body: Array(body.withLock { $0 }.utf8)) })
        let first = try await fetcher.fetch().targets
        let again = try await fetcher.fetch().targets
        #expect(first.withUnsafeBufferPointer { $0.baseAddress } == again.withUnsafeBufferPointer { $0.baseAddress })
        body.withLock { $0 = #"[{"targets": ["10.0.0.2:9100"]}]"# }
        #expect(try await fetcher.fetch().targets == [DiscoveredTarget(address: "10.0.0.2:9100")])
    }

    @Test(arguments: [
        (500, "oops", "http_status", "returned HTTP 500"),
        (200, "<html>", "invalid_content", "is not valid JSON"),
        (200, #"[{"targets": "10.0.0.1:9100"}]"#, "invalid_content", "has no \"targets\" list"),
    ])
    func aBadAnswerIsAnErrorThatKeepsTheLastSet(status: Int, body: String, code: String, reason: String) async {
        let error = await #expect(throws: DiscoveryError.self) { try await fetcher(status: status, body: body).fetch() }
        #expect(error?.code == code)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("GET http://cmdb:8080/sd") == true)
    }
}
