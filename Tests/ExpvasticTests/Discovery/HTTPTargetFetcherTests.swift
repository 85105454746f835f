import Expvastic
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
