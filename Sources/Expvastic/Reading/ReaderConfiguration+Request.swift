import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

extension ReaderConfiguration {
    /// The headers every poll sends: the configured `headers` sorted by name, plus `Accept:
    /// defaultAccept` unless the configuration sets its own.
    package func requestHeaders(defaultAccept: String) -> [(name: String, value: String)] {
        var headers = self.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value.value) }
        if !headers.contains(where: { $0.name.lowercased() == "accept" }) {
            headers.append((name: "Accept", value: defaultAccept))
        }
        return headers
    }
}

extension HTTPTransport {
    /// The GET a reader sends on every poll, made by `make` with its head: the same request every
    /// time, so its head is encoded here once, on the first poll (`head` nil), and kept in `head`
    /// for the later ones (encoding it made 20 retains and an allocation per poll). A transport that
    /// encodes no heads is asked again on every poll, and its requests go without one.
    package func pollRequest(head: inout [UInt8]?, _ make: ([UInt8]?) -> HTTPRequest) -> HTTPRequest {
        if head == nil { head = encodedHead(of: make(nil)) }
        return make(head)
    }

    /// A reader's GET of `endpoint` (its text, for the error): the response, or why there is none.
    /// Inlined into the reader's `read`, where it adds no frame of its own.
    @inline(__always)
    package func get(_ request: HTTPRequest, endpoint: String) async throws(ReaderError) -> HTTPResponse {
        do {
            return try await send(request)
        } catch {
            throw .getFailed(endpoint, error)
        }
    }
}

// Never inlined into a reader's `read`, as its own request and documents functions are not: with
// the code around its `await` inlined, `ExpvarReader.read`'s async frame was 1,136 bytes, more than
// a task's slab of memory (984 bytes), and so an allocation of its own on every poll.
extension ReaderError {
    /// The reader has no endpoint to GET.
    @inline(never)
    package static func noEndpoint(reader: String) -> ReaderError {
        ReaderError(code: "no_endpoint", message: "reader \(reader) has no endpoint (set endpoint:)")
    }

    /// The GET of `endpoint` failed with `error`, which gives the code.
    @inline(never)
    package static func getFailed(_ endpoint: String, _ error: HTTPError) -> ReaderError {
        ReaderError(code: error.code, message: "GET \(endpoint): \(error)")
    }
}
