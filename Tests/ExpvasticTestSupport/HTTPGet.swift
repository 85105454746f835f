import Expvastic
import Foundation

/// A tiny HTTP client for tests: fetch a page of a process under test, or poke a control endpoint.
public enum HTTPGet {
    /// A complete response.
    public struct Response: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// Header fields, names lower-cased.
        public var headers: [String: String]
        /// The body bytes.
        public var body: Data
        /// The body as UTF-8 text (invalid bytes replaced).
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// `GET url`; throws when there is no response within `timeout`.
    public static func get(_ url: URL, timeout: Duration = .seconds(5)) async throws -> Response {
        try await send("GET", url, timeout: timeout)
    }

    /// Sends `method url` with an optional body; throws when there is no response within `timeout`.
    /// Goes through the project's own HTTP client (loopback `http://` only in tests); the query
    /// stays part of the endpoint's path.
    public static func send(
        _ method: String,
        _ url: URL,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(5)
    ) async throws -> Response {
        guard case .success(let endpoint) = Endpoint.parse(url.absoluteString) else {
            throw TestSupportError(.unexpectedOutput, "\(url) is not an http(s) URL")
        }
        let response = try await transport.send(
            HTTPRequest(
                method: method, endpoint: endpoint, path: endpoint.path,
                headers: headers.map { (name: $0.key, value: $0.value) }, body: body.map { [UInt8]($0) } ?? [],
                timeout: timeout))
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return Response(status: response.status, headers: fields, body: Data(response.body))
    }

    private static let transport = DefaultTransport()
}
