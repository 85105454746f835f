import ExpvasticTestSupport
import Testing

@testable import Expvastic

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SocketAddressTests {
    @Test func literalsNeedNoLookup() throws {
        let v4 = try #require(SocketAddress(literal: "127.0.0.1", port: 9200))
        #expect(v4.family == AF_INET)
        #expect(v4.description == "127.0.0.1:9200")
        let v6 = try #require(SocketAddress(literal: "::1", port: 80))
        #expect(v6.family == AF_INET6)
        #expect(v6.description == "[::1]:80")
        #expect(SocketAddress(literal: "example.com", port: 80) == nil)
    }

    @Test func localhostIsBothLoopbacks() {
        let addresses = SocketAddress.resolveWithoutLookup(host: "LocalHost", port: 8080) ?? []
        #expect(addresses.map(\.description) == ["127.0.0.1:8080", "[::1]:8080"])
        #expect(SocketAddress.resolveWithoutLookup(host: "app.internal", port: 80) == nil)
    }

    @Test func getaddrinfoReadsNumericShorthand() async throws {
        // getaddrinfo reads /etc files and may ask nscd over a socket: blocking, so not on the pool.
        let addresses = try await Blocking.run { try SocketAddress.resolve(host: "127.1", port: 1234).get() }
        #expect(addresses.map(\.description) == ["127.0.0.1:1234"])
    }
}
