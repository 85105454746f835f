import ExpvasticTestSupport
import Synchronization
import Testing

@testable import Expvastic

/// The HTTP client's loop thread as the executor and sleep host of pollers (`EventLoop+Executor`).
@Suite struct PollExecutorTests {
    private func server() throws -> RawTCPServer {
        try RawTCPServer(handler: SocketHTTPTransportTests.serve { _, _ in RawTCPServer.response(text: "ok") })
    }

    @Test func aPollerRunsSleepsAndGetsItsResponseOnTheLoopThread() async throws {
        let server = try server()
        defer { server.stop() }
        let transport = SocketHTTPTransport()
        defer { transport.shutdown() }
        let loop = try #require(transport.pollExecutor() as? EventLoop)
        let clock = HostedClock(base: SystemClock(), host: loop)
        let request = HTTPRequest(endpoint: server.endpoint, path: "/", timeout: .seconds(10))
        let observed = try await Task(executorPreference: loop) { () async throws -> [Bool] in
            var onLoop = [loop.isLoopThread]
            for _ in 0..<5 {
                let deadline = clock.monotonicNanos() + 20_000_000
                try await clock.sleep(untilMonotonic: deadline)
                // Never early, and back on the loop thread.
                onLoop.append(clock.monotonicNanos() >= deadline && loop.isLoopThread)
                let response = try await transport.send(request)
                onLoop.append(response.status == 200 && loop.isLoopThread)
            }
            return onLoop
        }.value
        #expect(observed == Array(repeating: true, count: 11))
        #expect(server.acceptedConnections == 1)
    }

    @Test func cancellingASleepOnTheLoopEndsItAtOnce() async throws {
        let transport = SocketHTTPTransport()
        defer { transport.shutdown() }
        let loop = try #require(transport.pollExecutor() as? EventLoop)
        let clock = HostedClock(base: SystemClock(), host: loop)
        let started = clock.monotonicNanos()
        let sleeper = Task(executorPreference: loop) { () async -> Bool in
            do {
                try await clock.sleep(for: .seconds(3600))
                return false
            } catch {
                return error is CancellationError
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        sleeper.cancel()
        #expect(await sleeper.value)
        #expect(clock.monotonicNanos() - started < 60_000_000_000)
        #expect(loop.sleepers.withLock { $0.count } == 0)
    }

    @Test func afterShutdownTasksStillRunAndSleepOnTheBaseClock() async throws {
        let transport = SocketHTTPTransport()
        let loop = try #require(transport.pollExecutor() as? EventLoop)
        transport.shutdown()
        // The loop ends soon after the shutdown command; until then sleeps may still be its own.
        try await eventually("the loop thread ended", timeout: .seconds(10)) { loop.sleepers.withLock { $0.isClosed } }
        let clock = HostedClock(base: SystemClock(), host: loop)
        let slept = try await Task(executorPreference: loop) { () async throws -> Bool in
            let deadline = clock.monotonicNanos() + 10_000_000
            try await clock.sleep(untilMonotonic: deadline)
            return clock.monotonicNanos() >= deadline && !loop.isLoopThread
        }.value
        #expect(slept)
        #expect(try await loop.sleep(untilMonotonic: clock.monotonicNanos() + 1_000_000, slack: 0) == false)
    }

    /// What an engine waits on between polls: a call the loop makes at the deadline, on its thread,
    /// with no task asleep; a cancelled call is never made.
    @Test func aScheduledCallIsMadeOnTheLoopThreadAtItsDeadlineAndACancelledOneNever() async throws {
        let transport = SocketHTTPTransport()
        defer { transport.shutdown() }
        let loop = try #require(transport.pollExecutor() as? EventLoop)
        let clock = HostedClock(base: SystemClock(), host: loop)
        let made = Mutex<[(name: String, late: Bool, onLoop: Bool)]>([])
        let start = clock.monotonicNanos()
        let cancelled = clock.schedule(atMonotonic: start + 20_000_000) {
            made.withLock { $0.append(("cancelled", false, loop.isLoopThread)) }
        }
        for (name, delay) in [("b", 40_000_000), ("a", 30_000_000)] as [(String, UInt64)] {
            _ = clock.schedule(atMonotonic: start + delay) {
                made.withLock { $0.append((name, clock.monotonicNanos() >= start + delay, loop.isLoopThread)) }
            }
        }
        #expect(loop.sleepers.withLock { $0.count } == 3)
        cancelled.cancel()
        #expect(loop.sleepers.withLock { $0.count } == 2)
        try await eventually("both calls made", timeout: .seconds(10)) { made.withLock { $0.count } >= 2 }
        try await Task.sleep(for: .milliseconds(50))
        let calls = made.withLock { $0 }
        #expect(calls.map(\.name) == ["a", "b"])
        #expect(calls.allSatisfy { $0.late && $0.onLoop })
        #expect(loop.sleepers.withLock { $0.count } == 0)
    }

    @Test func afterShutdownACallIsMadeByTheBaseClock() async throws {
        let transport = SocketHTTPTransport()
        let loop = try #require(transport.pollExecutor() as? EventLoop)
        transport.shutdown()
        try await eventually("the loop thread ended", timeout: .seconds(10)) { loop.sleepers.withLock { $0.isClosed } }
        let clock = HostedClock(base: SystemClock(), host: loop)
        let deadline = clock.monotonicNanos() + 10_000_000
        let made = Mutex<Bool?>(nil)
        _ = clock.schedule(atMonotonic: deadline) { made.withLock { $0 = clock.monotonicNanos() >= deadline } }
        try await eventually("the call made", timeout: .seconds(10)) { made.withLock { $0 } != nil }
        #expect(made.withLock { $0 } == true)
    }
}
