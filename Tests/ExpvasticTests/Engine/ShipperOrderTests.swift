import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// A poll that is already answering when the shipper is told to stop (its read ignores
/// cancellation): the shipper must wait for it before finishing any recorder.
final class GatedReader: Reader {
    let name: String
    private let state = Mutex<(reads: Int, waiting: CheckedContinuation<Void, Never>?, open: Bool)>((0, nil, false))

    init(name: String) { self.name = name }

    /// How many reads have started.
    var reads: Int { state.withLock { $0.reads } }
    /// Whether a read is waiting at the gate.
    var isWaiting: Bool { state.withLock { $0.waiting != nil } }

    /// Lets the waiting read (and every later one) return its document.
    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = nil }
            return state.waiting
        }
        waiting?.resume()
    }

    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        let number = state.withLock { state in
            state.reads += 1
            return state.reads
        }
        if number >= 2 {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.open { return true }
                    state.waiting = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        return [Document(id: "\(name)-\(number)", timestampMillis: 0, reader: name, body: [])]
    }
}

/// Every event (`<recorder><generation> accept <id>`, `… finish`) of every recorder made, in order.
final class RecorderEventLog: Sendable {
    private let state = Mutex<(events: [String], made: Int)>(([], 0))
    var events: [String] { state.withLock { $0.events } }
    var made: Int { state.withLock { $0.made } }
    func append(_ event: String) { state.withLock { $0.events.append(event) } }
    /// Counts a new recorder and returns its generation (1, 2, …).
    func nextGeneration() -> Int {
        state.withLock { state in
            state.made += 1
            return state.made
        }
    }
    /// The events of one recorder instance (`a1`), without its label.
    func events(of label: String) -> [String] {
        events.filter { $0.hasPrefix("\(label) ") }.map { String($0.dropFirst(label.count + 1)) }
    }
}

final class EventLogRecorder: Recorder {
    let name: String
    let label: String
    let log: RecorderEventLog
    init(name: String, log: RecorderEventLog) {
        self.name = name
        self.label = "\(name)\(log.nextGeneration())"
        self.log = log
    }
    func accept(_ document: Document) { log.append("\(label) accept \(document.id)") }
    func run() async throws {
        while !Task.isCancelled { try await Task.sleep(nanoseconds: 10_000_000) }
    }
    func finish(deadline: UInt64) async { log.append("\(label) finish") }
}

@Suite struct ShipperOrderTests {
    let reader = GatedReader(name: "app")
    let log = RecorderEventLog()

    func configuration(fileA: String) -> Configuration {
        var app = ReaderConfiguration(name: "app", kind: .self, typeName: "t", url: nil)
        app.interval = .milliseconds(20)
        return Configuration(
            readers: [app],
            recorders: [
                RecorderConfiguration(name: "a", kind: .file(FileRecorderConfiguration(path: fileA))),
                RecorderConfiguration(name: "b", kind: .file(FileRecorderConfiguration(path: "/dev/null"))),
            ],
            routes: [RouteConfiguration(name: "r", readers: ["app"], recorders: ["a", "b"])]
        )
    }

    func shipper() -> Shipper {
        let factory = ComponentFactory(
            makeReader: { _, _ in self.reader },
            makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) })
        return Shipper(
            factory: factory, clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: InMemoryLogHandler()))
    }

    /// The shipper's exit status, or nil when it has not returned within 10 s (a hang fails the test).
    func status(of run: Task<Int32, Never>) async -> Int32? {
        final class Box: Sendable { let status = Mutex<Int32?>(nil) }
        let box = Box()
        Task { [box] in
            let status = await run.value
            box.status.withLock { $0 = status }
        }
        try? await waitUntil(seconds: 10) { box.status.withLock { $0 } != nil }
        return box.status.withLock { $0 }
    }

    @Test func shutdownWaitsForThePollInFlightSoEveryRecorderGetsItsDocument() async throws {
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let shipper = shipper()
        let run = Task {
            await shipper.run(configuration: configuration(fileA: "/dev/null"), signals: signals) {
                .failure(ShipperError(lines: []))
            }
        }
        try await waitUntil { reader.isWaiting }
        send.yield(SIGTERM)
        // Give the shipper time to (wrongly) finish the recorders while the poll is still answering.
        try await Task.sleep(for: .milliseconds(200))
        #expect(log.events.allSatisfy { !$0.hasSuffix("finish") }, "\(log.events)")
        reader.open()
        #expect(await status(of: run) == 0)
        #expect(log.events(of: "a1") == ["accept app-1", "accept app-2", "finish"])
        #expect(log.events(of: "b2") == ["accept app-1", "accept app-2", "finish"])
    }

    @Test func reloadFinishesTheOldRecorderBeforeItMakesItsReplacement() async throws {
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let shipper = shipper()
        let next = configuration(fileA: "/tmp/elsewhere.ndjson")
        let run = Task {
            await shipper.run(configuration: configuration(fileA: "/dev/null"), signals: signals) { .success(next) }
        }
        try await waitUntil { reader.isWaiting }
        send.yield(SIGHUP)
        try await Task.sleep(for: .milliseconds(200))
        // The engine feeds the changed recorder, so it restarts too; its poll is still answering.
        #expect(log.made == 2, "\(log.events)")
        reader.open()
        try await waitUntil { log.made == 3 }
        try await waitUntil { log.events.contains { $0.hasPrefix("a3 accept") } }
        send.yield(SIGTERM)
        #expect(await status(of: run) == 0)
        #expect(log.events(of: "a1") == ["accept app-1", "accept app-2", "finish"])
        // Recorder b did not change and keeps running through the reload.
        #expect(log.events(of: "b2").first == "accept app-1")
        #expect(log.events(of: "b2").last == "finish")
        #expect(log.events(of: "b2").filter { $0 == "finish" }.count == 1)
        let order = log.events
        let oldFinished = try #require(order.firstIndex(of: "a1 finish"))
        let newFirst = try #require(order.firstIndex { $0.hasPrefix("a3 ") })
        #expect(oldFinished < newFirst)
    }
}
