@testable import Expvastic

/// The `HTTPError` that `body` throws, or nil when it returns a response.
func capturedError(_ body: () async throws(HTTPError) -> HTTPResponse) async -> HTTPError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
