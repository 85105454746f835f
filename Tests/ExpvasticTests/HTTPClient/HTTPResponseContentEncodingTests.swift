import Expvastic
import Testing

/// `decodedBody(limit:)`: identity as it is, gzip and x-gzip inflated within the limit.
@Suite struct HTTPResponseContentEncodingTests {
    static let text = Array(String(repeating: "node_load1 0.5\n", count: 1000).utf8)

    @Test(arguments: [nil, "identity", " Identity ", ""])
    func unencodedBodiesAreReturnedAsTheyAre(encoding: String?) throws {
        let response = HTTPResponse(
            status: 200, headers: encoding.map { [("Content-Encoding", $0)] } ?? [], body: Self.text)
        #expect(try response.decodedBody(limit: 10) == Self.text)
    }

    @Test(arguments: ["gzip", "x-gzip", "GZIP", " gzip"])
    func gzipIsInflated(encoding: String) throws {
        let response = HTTPResponse(
            status: 200, headers: [("content-encoding", encoding)], body: try Gzip.compress(Self.text))
        #expect(try response.decodedBody(limit: Self.text.count) == Self.text)
        #expect(throws: HTTPResponse.ContentEncodingFailure.self) {
            try response.decodedBody(limit: Self.text.count - 1)
        }
    }

    @Test func aTruncatedGzipBodyIsCorrupt() throws {
        let compressed = try Gzip.compress(Self.text)
        let response = HTTPResponse(
            status: 200, headers: [("Content-Encoding", "gzip")], body: Array(compressed.prefix(compressed.count / 2)))
        do {
            _ = try response.decodedBody(limit: 1 << 20)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "corrupt_gzip")
            #expect(error.description.contains("truncated"))
        }
    }
}
