import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Ordinary GETs in a loop on their own thread, timing each one, until told to stop.
final class HTTPServerProbe: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let results = Mutex<(latencies: [UInt64], failures: [String])>(([], []))

    func run(port: Int) {
        let start = testNowNanos()
        while !stopFlag.load(ordering: .relaxed), testNowNanos() - start < 30_000_000_000 {
            let began = testNowNanos()
            do {
                let response = try HTTPServerTestClient.get(port: port, "/hello")
                let elapsed = testNowNanos() - began
                results.withLock {
                    if response.status == 200 {
                        $0.latencies.append(elapsed)
                    } else {
                        $0.failures.append("\(response.status)")
                    }
                }
            } catch {
                results.withLock { $0.failures.append("\(error)") }
            }
            usleep(10_000)
        }
    }

    func stop() { stopFlag.store(true, ordering: .relaxed) }
    var latencies: [UInt64] { results.withLock { $0.latencies } }
    var failures: [String] { results.withLock { $0.failures } }
}

@Suite struct HTTPServerHostileClientTests {
    @Test func staysResponsiveAndBoundedUnderHostileClients() async throws {
        let (server, port) = try HTTPServerTests.makeServer {
            $0.maxConnections = 2000
            $0.requestHeadTimeout = .milliseconds(1500)
            $0.lingerTimeout = .milliseconds(500)
        }
        defer { server.stop() }
        let rssBefore = try #require(ProcessStats.current()).rssBytes
        let probe = HTTPServerProbe()
        async let probing: Void = Blocking.run { probe.run(port: port) }

        struct Outcome: Sendable {
            var heldIdle = 0
            var bigHeader: Int?
            var garbage: Int?
            var post: Int?
            var trickle: Int?
            var trickleClosedAfterNanos: UInt64 = 0
        }
        let outcome = try await Blocking.run { () -> Outcome in
            var outcome = Outcome()
            let idle = try (0..<1000).map { _ in try HTTPServerTestClient(port: port) }
            usleep(200_000)
            outcome.heldIdle = server.statistics.openConnections

            let big = try HTTPServerTestClient(port: port)
            try? big.send(
                Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ".utf8) + [UInt8](repeating: 98, count: 1 << 20)
                    + Array("\r\n\r\n".utf8))
            outcome.bigHeader = try big.readResponse()?.status

            let garbage = try HTTPServerTestClient(port: port)
            var random = SystemRandomNumberGenerator()
            try garbage.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) } + Array("\r\n\r\n".utf8))
            outcome.garbage = try garbage.readResponse()?.status

            let post = try HTTPServerTestClient(port: port)
            try post.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n")
            try? post.send([UInt8](repeating: 0, count: 65536))
            outcome.post = try post.readResponse()?.status

            let trickle = try HTTPServerTestClient(port: port)
            let began = testNowNanos()
            for byte in Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8) {
                if (try? trickle.send([byte])) == nil || testNowNanos() - began > 1_800_000_000 { break }
                sleep(1)
            }
            outcome.trickle = try trickle.readResponse()?.status
            if trickle.isClosedByPeer() { outcome.trickleClosedAfterNanos = testNowNanos() - began }
            withExtendedLifetime(idle) {}
            return outcome
        }
        probe.stop()
        await probing

        #expect(outcome.heldIdle >= 1000)
        #expect(outcome.bigHeader == 431)
        #expect(outcome.garbage == 400)
        #expect(outcome.post == 405)
        #expect(outcome.trickle == 408)
        #expect(outcome.trickleClosedAfterNanos >= 1_500_000_000 && outcome.trickleClosedAfterNanos < 3_000_000_000)

        let latencies = probe.latencies.sorted()
        #expect(probe.failures.isEmpty, "\(probe.failures.prefix(5))")
        #expect(latencies.count >= 20)
        // Ordinary GETs stay fast while the hostile clients hold on: 95% under 100 ms, none near the
        // trickle's 1.8 s. (A single stall of this shared VM, 0.1–0.5 s, can catch one or two GETs.)
        let p95 = latencies.isEmpty ? .max : latencies[latencies.count * 95 / 100]
        let worst = latencies.last ?? .max
        #expect(p95 < 100_000_000, "95% of ordinary GETs took up to \(p95 / 1_000_000) ms")
        #expect(worst < 1_000_000_000, "slowest ordinary GET took \(worst / 1_000_000) ms")

        let rssAfter = try #require(ProcessStats.current()).rssBytes
        #expect(rssAfter - rssBefore < 100 << 20, "RSS grew by \((rssAfter - rssBefore) >> 20) MiB")
        #expect(server.statistics.openConnections < 10)
    }
}
