import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@Suite("eventually: bounded polling")
struct EventuallyTests {
    final class Counter: Sendable {
        let value = Mutex(0)
        func next() -> Int {
            value.withLock {
                $0 += 1; return $0
            }
        }
    }

    @Test("returns as soon as the condition holds")
    func holds() async throws {
        let counter = Counter()
        try await eventually(timeout: .seconds(5), interval: .milliseconds(1)) { counter.next() >= 3 }
        #expect(counter.value.withLock { $0 } == 3)
    }

    @Test("throws a timeout naming the condition and its last error")
    func timesOut() async throws {
        struct NotYet: Error, CustomStringConvertible { var description: String { "not yet" } }
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: TestSupportError.self) {
            try await eventually("the index exists", timeout: .milliseconds(100), interval: .milliseconds(10)) {
                throw NotYet()
            }
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("the index exists") == true)
        #expect(error?.message.contains("not yet") == true)
        #expect(clock.now - started < .seconds(3))
    }

    @Test("eventuallyValue returns the first value produced")
    func producesValue() async throws {
        let counter = Counter()
        let value = try await eventuallyValue(interval: .milliseconds(1)) { () -> String? in
            let n = counter.next()
            return n >= 2 ? "got \(n)" : nil
        }
        #expect(value == "got 2")
    }
}
