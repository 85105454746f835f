import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An ``HTTPTransport`` over URLSession. Correct for `http` and `https`, but costs about 400 µs
/// of CPU per request on Linux, so plain `http` uses the socket client instead.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    /// Where tasks are created, resumed and cancelled. On Linux those calls wait (`DispatchQueue.sync`)
    /// for the session's work queue, which is busy while other transfers run — tens of milliseconds
    /// under load. Making them here keeps that wait off the cooperative pool.
    private let queue = DispatchQueue(label: "expvastic.http.urlsession")

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 4
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        guard let url = URL(string: request.endpoint.origin + request.path) else {
            throw .malformedResponse("cannot form a URL from \(request.endpoint.origin)\(request.path)")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeout.seconds
        for header in request.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await exchange(urlRequest)
        } catch let error as URLError {
            switch error.code {
            case .timedOut: throw .timedOut(request.timeout)
            case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
                throw .connectFailed(error.localizedDescription)
            default: throw .connectionClosed(error.localizedDescription)
            }
        } catch {
            throw .connectionClosed(String(describing: error))
        }
        guard let http = response as? HTTPURLResponse else { throw .malformedResponse("not an HTTP response") }
        guard data.count <= request.maxResponseBytes else { throw .bodyTooLarge(limit: request.maxResponseBytes) }
        var headers: [(name: String, value: String)] = []
        for (name, value) in http.allHeaderFields {
            headers.append((name: String(describing: name), value: String(describing: value)))
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: [UInt8](data))
    }

    /// `session.data(for:)`, with the task created, resumed and (on task cancellation) cancelled on
    /// ``queue``; throws `URLError` like it.
    private func exchange(_ request: URLRequest) async throws -> (Data, URLResponse) {
        let pending = PendingTask()
        let (session, queue) = (self.session, self.queue)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                queue.async {
                    let task = session.dataTask(with: request) { data, response, error in
                        if let error {
                            continuation.resume(throwing: error)
                        } else if let data, let response {
                            continuation.resume(returning: (data, response))
                        } else {
                            continuation.resume(throwing: URLError(.badServerResponse))
                        }
                    }
                    if pending.start(task) { task.resume() } else { task.cancel() }
                }
            }
        } onCancel: {
            queue.async { pending.cancel() }
        }
    }

    /// The task of one exchange, and whether it was cancelled before it existed.
    private final class PendingTask: Sendable {
        private let state = Mutex<(task: URLSessionDataTask?, cancelled: Bool)>((nil, false))

        /// Records the task; false when the exchange was already cancelled (the caller cancels it).
        func start(_ task: URLSessionDataTask) -> Bool {
            state.withLock { state in
                state.task = task
                return !state.cancelled
            }
        }

        func cancel() {
            let task = state.withLock { state in
                state.cancelled = true
                return state.task
            }
            task?.cancel()
        }
    }
}
