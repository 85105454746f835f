import Expvastic
import ExpvasticTestSupport
import Synchronization
import Testing

/// A reader whose outcome and duration the test controls; it sleeps on the injected clock.
final class ScriptedReader: Reader {
    let name: String
    let clock: ManualClock
    private let state = Mutex<(fail: Bool, durationNanos: UInt64, running: Int, maxRunning: Int, starts: [Int64])>(
        (false, 0, 0, 0, []))

    init(name: String, clock: ManualClock) {
        self.name = name
        self.clock = clock
    }

    func set(fail: Bool, durationNanos: UInt64 = 0) {
        state.withLock {
            $0.fail = fail
            $0.durationNanos = durationNanos
        }
    }

    var maxConcurrentPolls: Int { state.withLock { $0.maxRunning } }
    var starts: [Int64] { state.withLock { $0.starts } }

    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        let (fail, duration) = state.withLock { s in
            s.running += 1
            s.maxRunning = max(s.maxRunning, s.running)
            s.starts.append(startedAtWallNanos)
            return (s.fail, s.durationNanos)
        }
        defer { state.withLock { $0.running -= 1 } }
        if duration > 0 { try? await clock.sleep(untilMonotonic: clock.monotonicNanos() + duration) }
        if fail { throw ReaderError(code: "http_status", message: "HTTP 500 from the endpoint") }
        return [
            Document(
                id: "\(startedAtWallNanos)", timestampMillis: startedAtWallNanos / 1_000_000, reader: name, body: [])
        ]
    }
}

final class CollectingRecorder: Recorder {
    let name: String
    private let documents = Mutex<[Document]>([])
    init(name: String) { self.name = name }
    func accept(_ document: Document) { documents.withLock { $0.append(document) } }
    func run() async throws {}
    func finish(deadline: UInt64) async {}
    var received: [Document] { documents.withLock { $0 } }
}

/// Lets the engine task run until it is asleep on the clock again (bounded).
func settle(_ clock: ManualClock, sleepers: Int = 1) async {
    for _ in 0..<10_000 {
        if clock.sleeperCount >= sleepers { return }
        await Task.yield()
    }
}

@Suite struct EngineTests {
    let second: UInt64 = 1_000_000_000

    func makeEngine(
        _ reader: ScriptedReader, _ recorders: [CollectingRecorder], backoff: Int = 3,
        logs: InMemoryLogHandler, metrics: MetricsRegistry
    ) -> Engine {
        Engine(
            reader: reader, interval: .seconds(1), backoff: backoff, recorders: recorders, clock: reader.clock,
            metrics: metrics, logger: Logger(component: "reader.app", level: .debug, handler: logs, clock: reader.clock)
        )
    }

    @Test func fansEveryDocumentOutToEveryRecorder() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        let recorders = [CollectingRecorder(name: "a"), CollectingRecorder(name: "b")]
        let metrics = MetricsRegistry()
        let engine = makeEngine(reader, recorders, logs: InMemoryLogHandler(), metrics: metrics)
        let task = Task { try await engine.run() }
        await settle(clock)
        for _ in 0..<10 {
            clock.advance(by: .seconds(1))
            await settle(clock)
        }
        task.cancel()
        _ = try? await task.value
        #expect(recorders[0].received.count == 10)
        #expect(recorders[0].received == recorders[1].received)
        #expect(metrics.value(MetricKey("polls_ok", labels: [.init("reader", "app")])) == .counter(10))
    }

    @Test func slowPollIsSkippedNotOverlapped() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        reader.set(fail: false, durationNanos: 2 * second + second / 2)
        let metrics = MetricsRegistry()
        let engine = makeEngine(reader, [CollectingRecorder(name: "a")], logs: InMemoryLogHandler(), metrics: metrics)
        let task = Task { try await engine.run() }
        await settle(clock)
        for _ in 0..<30 {
            clock.advance(by: .milliseconds(500))
            await settle(clock)
        }
        // A stopped engine lets the poll in flight finish (at most 2.5 s more).
        engine.stop()
        for _ in 0..<5 {
            clock.advance(by: .milliseconds(500))
            await settle(clock)
        }
        _ = try? await task.value
        #expect(reader.maxConcurrentPolls == 1)
        // 15 s of 2.5 s polls on a 1 s grid: every poll skips two ticks and starts on the grid.
        let polls = reader.starts.count
        #expect(polls >= 4 && polls <= 6, "polls: \(polls)")
        let skipped = metrics.value(MetricKey("polls_skipped", labels: [.init("reader", "app")]))
        guard case .counter(let finished)? = metrics.value(MetricKey("polls_ok", labels: [.init("reader", "app")]))
        else { Issue.record("no polls_ok counter"); return }
        #expect(finished >= 4)
        #expect(skipped == .counter(2 * finished), "skipped: \(String(describing: skipped))")
        let offsets = Set(reader.starts.map { ($0 - reader.starts[0]) % Int64(second) })
        #expect(offsets == [0])
    }

    @Test func oneWarningWhenFailingAndOneInfoOnRecovery() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        let logs = InMemoryLogHandler()
        let engine = makeEngine(reader, [CollectingRecorder(name: "a")], backoff: 100, logs: logs, metrics: .init())
        let task = Task { try await engine.run() }
        await settle(clock)
        clock.advance(by: .seconds(1))
        await settle(clock)
        reader.set(fail: true)
        for _ in 0..<20 {
            clock.advance(by: .seconds(1))
            await settle(clock)
        }
        reader.set(fail: false)
        for _ in 0..<5 {
            clock.advance(by: .seconds(1))
            await settle(clock)
        }
        task.cancel()
        _ = try? await task.value
        let loud = logs.records.filter { $0.level >= .info }
        #expect(loud.count == 2, "\(loud.map(\.formatted))")
        #expect(loud.first?.level == .warn)
        #expect(loud.first?.metadata["error"] == "HTTP 500 from the endpoint")
        #expect(loud.last?.level == .info)
        #expect(loud.last?.metadata["reader.failed_polls"] == "20")
    }
}
