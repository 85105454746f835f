import Expvastic
import ExpvasticTestSupport
import Testing

/// ``Engine/stop()``: how the shipper ends an engine with one task per engine (issue 19, memory).
@Suite struct EngineStopTests {
    func makeEngine(_ reader: ScriptedReader, _ recorder: CollectingRecorder) -> Engine {
        Engine(
            reader: reader, interval: .seconds(1), backoff: 3, recorders: [recorder], clock: reader.clock,
            metrics: MetricsRegistry(),
            logger: Logger(component: "reader.app", level: .error, handler: NoOpLogHandler()))
    }

    @Test func stopBeforeRunMakesRunReturnWithoutPolling() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        let engine = makeEngine(reader, CollectingRecorder(name: "a"))
        engine.stop()
        try await engine.run()
        #expect(reader.starts.isEmpty)
        #expect(clock.sleeperCount == 0)
    }

    @Test func stopWhileAsleepEndsRunWithoutAdvancingTheClock() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        let recorder = CollectingRecorder(name: "a")
        let engine = makeEngine(reader, recorder)
        let task = Task { try await engine.run() }
        await settle(clock)
        clock.advance(by: .seconds(1))
        await settle(clock)
        let polls = reader.starts.count
        #expect(polls >= 1)
        engine.stop()
        // Not cancelled from outside: only stop() can end the sleep.
        _ = try? await task.value
        #expect(reader.starts.count == polls)
        #expect(recorder.received.count == polls)
        #expect(clock.sleeperCount == 0)
    }

    @Test func stopDuringAPollDeliversThatPollThenEnds() async throws {
        let clock = ManualClock()
        let reader = ScriptedReader(name: "app", clock: clock)
        reader.set(fail: false, durationNanos: 500_000_000)
        let recorder = CollectingRecorder(name: "a")
        let engine = makeEngine(reader, recorder)
        let task = Task { try await engine.run() }
        await settle(clock)
        clock.advance(by: .seconds(1))
        // The poll started and sleeps on the clock for 0.5 s.
        await settle(clock)
        #expect(reader.starts.count == 1)
        engine.stop()
        #expect(recorder.received.isEmpty)
        clock.advance(by: .milliseconds(500))
        _ = try? await task.value
        #expect(recorder.received.count == 1)
        #expect(reader.starts.count == 1)
    }
}
