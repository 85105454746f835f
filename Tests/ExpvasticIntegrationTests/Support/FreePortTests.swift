import ExpvasticTestSupport
import Foundation
import Testing

@Suite("FreePort")
struct FreePortTests {
    @Test("pick returns an unprivileged port nobody listens on")
    func pick() async throws {
        let port = try FreePort.pick()
        #expect((1024...65_535).contains(port))
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/"))
        await #expect(throws: (any Error).self) { try await HTTPGet.get(url, timeout: .seconds(2)) }
    }
}
