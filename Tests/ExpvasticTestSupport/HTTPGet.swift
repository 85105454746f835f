import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A tiny HTTP client for tests (URLSession, one ephemeral session per call, kept off the cooperative pool): fetch a page of a
/// process under test, or poke a control endpoint.
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
    public static func send(
        _ method: String,
        _ url: URL,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: Duration = .seconds(5)
    ) async throws -> Response {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.seconds
        configuration.timeoutIntervalForResource = timeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        var request = URLRequest(url: url, timeoutInterval: timeout.seconds)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let prepared = request
        // On Linux, creating, resuming and invalidating wait (DispatchQueue.sync) for the session's
        // work queue, so they happen on a thread of their own; the answer arrives in the handler.
        // The session's timeouts bound the wait.
        let (data, response) = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
            let thread = Thread {
                let session = URLSession(configuration: configuration)
                let task = session.dataTask(with: prepared) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let data, let response {
                        continuation.resume(returning: (data, response))
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                task.resume()
                session.finishTasksAndInvalidate()
            }
            thread.name = "test.http-get"
            thread.start()
        }
        guard let http = response as? HTTPURLResponse else {
            throw TestSupportError(.unexpectedOutput, "\(method) \(url) did not return an HTTP response")
        }
        var fields: [String: String] = [:]
        for case (let name as String, let value as String) in http.allHeaderFields { fields[name.lowercased()] = value }
        return Response(status: http.statusCode, headers: fields, body: data)
    }
}
