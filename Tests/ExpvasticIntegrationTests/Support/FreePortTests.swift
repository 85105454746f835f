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

    @Test("picks come from outside the kernel's ephemeral range when it leaves room, and never repeat")
    func picksAvoidTheEphemeralRangeAndRepeats() throws {
        let text = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        let ephemeral = try #require(bounds.count == 2 ? bounds[0]...bounds[1] : nil)
        let ports = try (0..<200).map { _ in try FreePort.pick() }
        #expect(Set(ports).count == ports.count)
        if ephemeral.lowerBound > 11_000 || ephemeral.upperBound < 64_535 {
            #expect(ports.allSatisfy { !ephemeral.contains($0) })
        }
    }
}
