import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// A filter that lets through the readers named in `allowed`, changed by the test.
final class NamedFilter: TargetFilter {
    private let allowed: Mutex<Set<String>>
    private let stream: AsyncStream<Void>
    private let sink: AsyncStream<Void>.Continuation
    private let asked = Mutex<[[String]]>([])

    init(allowing names: Set<String>) {
        allowed = Mutex(names)
        (stream, sink) = AsyncStream<Void>.makeStream()
    }

    func allow(_ names: Set<String>) {
        allowed.withLock { $0 = names }
        sink.yield()
    }

    var questions: [[String]] { asked.withLock { $0 } }

    func select(_ desired: [TargetID]) -> Set<TargetID> {
        asked.withLock { $0.append(desired.map(\.reader)) }
        let names = allowed.withLock { $0 }
        return Set(desired.filter { names.contains($0.reader) })
    }

    var changes: AsyncStream<Void> { stream }
}

/// A shipper with a target filter (a pool member's share) runs only the selected targets, and
/// follows the filter's changes like a reload: started and stopped targets only.
@Suite struct ShipperFilterTests {
    @Test func onlyTheSelectedTargetsRunAndAChangeOfTheShareIsApplied() async throws {
        let names = ["a", "b", "c"]
        var readers: [ReaderConfiguration] = []
        for name in names {
            var reader = ReaderConfiguration(name: name, kind: .self, typeName: "t", url: nil)
            reader.interval = .milliseconds(20)
            readers.append(reader)
        }
        let configuration = Configuration(
            readers: readers,
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: names, recorders: ["out"])])
        let health = HealthBoard()
        let log = RecorderEventLog()
        let filter = NamedFilter(allowing: ["a"])
        let shipper = Shipper(
            factory: ComponentFactory(
                makeReader: { config, _ in ConstantReader(name: config.name) },
                makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) }),
            clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: InMemoryLogHandler()), filter: filter,
            onPoll: { health.record($0) },
            onHealth: { component, state in
                if let state { health.set(component, state) } else { health.remove(component) }
            })
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let run = Task { await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } }
        try await waitUntil { health.components == ["reader.a"] }
        #expect(filter.questions.first == ["a", "b", "c"])
        filter.allow(["b", "c"])
        try await waitUntil { health.components == ["reader.b", "reader.c"] }
        // A reload asks the filter again.
        send.yield(SIGHUP)
        try await waitUntil { filter.questions.count >= 3 }
        #expect(health.components == ["reader.b", "reader.c"])
        send.yield(SIGTERM)
        #expect(await run.value == 0)
    }
}

/// The slots each reader was asked to poll, by reader name.
final class SlotLog: Sendable {
    private let slots = Mutex<[String: [PollSlot?]]>([:])
    func append(_ reader: String, _ slot: PollSlot?) { slots.withLock { $0[reader, default: []].append(slot) } }
    subscript(reader reader: String) -> [PollSlot?] { slots.withLock { $0[reader] ?? [] } }
}

/// Records the slot of every poll.
struct SlotRecordingReader: Reader {
    let name: String
    let log: SlotLog
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] { [] }
    func read(startedAtWallNanos: Int64, slot: PollSlot?) async throws(ReaderError) -> [Document] {
        log.append(name, slot)
        return []
    }
}

extension ShipperFilterTests {
    /// A target the share takes over (a member left) polls the slot in progress at once, without
    /// waiting for its tick; targets of the first selection wait for theirs. Driven by a manual clock
    /// that does not move until the test moves it.
    @Test func aTargetTakenOverPollsTheSlotInProgressAtOnce() async throws {
        let interval: UInt64 = 10_000_000_000
        let phase = { (name: String) in Int64(StableHash.mixed64(name, "self") % interval) }
        // Wall time 1 ns after b's tick: b's slot in progress has just begun, its next tick is 10 s away.
        let base: Int64 = 1_795_284_000_000_000_000
        let wall = base - base % Int64(interval) + phase("b") + 1
        // a's first tick is in the future too (it is not on a tick at this wall time).
        try #require((wall - phase("a")) % Int64(interval) != 0)
        let clock = ManualClock(wallNanos: wall)
        var readers: [ReaderConfiguration] = []
        for name in ["a", "b"] {
            var reader = ReaderConfiguration(name: name, kind: .self, typeName: "t", url: nil)
            reader.interval = .nanoseconds(Int64(interval))
            readers.append(reader)
        }
        let configuration = Configuration(
            readers: readers,
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["a", "b"], recorders: ["out"])])
        let slots = SlotLog()
        let log = RecorderEventLog()
        let filter = NamedFilter(allowing: ["a"])
        let shipper = Shipper(
            factory: ComponentFactory(
                makeReader: { config, _ in SlotRecordingReader(name: config.name, log: slots) },
                makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) }),
            clock: clock, metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: InMemoryLogHandler()), filter: filter)
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let run = Task { await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } }
        // a's engine sleeps until its first tick: the first selection does not catch up.
        try await waitUntil { clock.sleeperCount == 1 }
        #expect(slots[reader: "a"].isEmpty)
        // b was desired and not selected; now it is: taken over.
        filter.allow(["a", "b"])
        try await waitUntil { slots[reader: "b"].count == 1 && clock.sleeperCount == 2 }
        let slotInProgress = PollSlot(index: (wall - phase("b")) / Int64(interval), intervalNanos: interval)
        #expect(slots[reader: "b"] == [slotInProgress])
        #expect(slots[reader: "a"].isEmpty)
        // Then b goes on with its grid: the next slot at its tick, 10 s later.
        clock.advance(by: .nanoseconds(Int64(interval)))
        try await waitUntil { slots[reader: "b"].count == 2 && slots[reader: "a"].count == 1 }
        #expect(slots[reader: "b"].last == PollSlot(index: slotInProgress.index + 1, intervalNanos: interval))
        #expect(slots[reader: "a"].first??.index == (wall - phase("a")) / Int64(interval) + 1)
        send.yield(SIGTERM)
        #expect(await run.value == 0)
    }
}

/// A recorder whose flush waits until the test lets it finish.
final class HeldRecorder: Recorder {
    let name: String
    let finishing = Latch()
    let release = Latch()
    init(name: String) { self.name = name }
    func accept(_ document: Document) {}
    func run() async throws {
        while !Task.isCancelled { try await Task.sleep(nanoseconds: 10_000_000) }
    }
    func finish(deadline: UInt64) async {
        finishing.open()
        await release.wait()
    }
}

extension ShipperFilterTests {
    /// Reader `a` (a self reader, every 60 s) routed to recorder `out`.
    static func oneReaderOneRecorder() -> Configuration {
        var reader = ReaderConfiguration(name: "a", kind: .self, typeName: "t", url: nil)
        reader.interval = .seconds(60)
        return Configuration(
            readers: [reader],
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["a"], recorders: ["out"])])
    }

    /// The signal stream ends while the shipper is shutting down (a pool's signal relay does, once it
    /// is stopped): that is not a second signal (which exits the process at once with status 1); the
    /// shutdown finishes and the run returns 0.
    @Test func aSignalStreamThatEndsDuringShutdownIsNotASecondSignal() async throws {
        let configuration = Self.oneReaderOneRecorder()
        let recorder = HeldRecorder(name: "out")
        let logs = InMemoryLogHandler()
        let shipper = Shipper(
            factory: ComponentFactory(
                makeReader: { config, _ in ConstantReader(name: config.name) }, makeRecorder: { _, _ in recorder }),
            clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: logs))
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let run = Task { await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } }
        send.yield(SIGTERM)
        await recorder.finishing.wait()
        send.finish()
        // The stream's end is handled while the flush still runs (before the fix, this exited the
        // process with status 1: "SIGTERM again: exiting now").
        try await waitUntil { logs.records.contains { $0.message == "signal stream ended; already stopping" } }
        recorder.release.open()
        #expect(await run.value == 0)
        #expect(!logs.records.contains { $0.message.contains("again") })
    }

    /// Without any signal, the end of the stream stops the shipper cleanly, as SIGTERM would.
    @Test func aSignalStreamThatEndsStopsTheShipper() async throws {
        let configuration = Self.oneReaderOneRecorder()
        let logs = InMemoryLogHandler()
        let shipper = Shipper(
            factory: ComponentFactory(
                makeReader: { config, _ in ConstantReader(name: config.name) },
                makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: RecorderEventLog()) }),
            clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: logs))
        let (signals, send) = AsyncStream<Int32>.makeStream()
        send.finish()
        #expect(await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } == 0)
        #expect(logs.records.contains { $0.message.contains("signal stream ended: stopping") })
    }
}
