import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// Records how often each component was made and finished.
final class FactoryLedger: Sendable {
    let made = Mutex<[String]>([])
    let finished = Mutex<[String]>([])
    let recorders = Mutex<[String: CollectingRecorder]>([:])
}

final class FinishTrackingRecorder: Recorder {
    let name: String
    let ledger: FactoryLedger
    init(name: String, ledger: FactoryLedger) {
        self.name = name
        self.ledger = ledger
    }
    func accept(_ document: Document) {}
    func run() async throws {
        while !Task.isCancelled { try await Task.sleep(nanoseconds: 10_000_000) }
    }
    func finish(deadline: UInt64) async { ledger.finished.withLock { $0.append(name) } }
}

struct ConstantReader: Reader {
    let name: String
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        [Document(id: "x", timestampMillis: 0, reader: name, body: [])]
    }
}

@Suite struct ShipperTests {
    func configuration(interval: Duration) -> Configuration {
        var a = ReaderConfiguration(name: "a", kind: .self, typeName: "t", url: nil)
        a.interval = interval
        let b = ReaderConfiguration(name: "b", kind: .self, typeName: "t", url: nil)
        return Configuration(
            readers: [a, b],
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["a", "b"], recorders: ["out"])]
        )
    }

    func shipper(_ ledger: FactoryLedger, logs: InMemoryLogHandler) -> Shipper {
        let factory = ComponentFactory(
            makeReader: { config, _ in
                ledger.made.withLock { $0.append("reader.\(config.name)") }
                return ConstantReader(name: config.name)
            },
            makeRecorder: { config, _ in
                ledger.made.withLock { $0.append("recorder.\(config.name)") }
                return FinishTrackingRecorder(name: config.name, ledger: ledger)
            })
        return Shipper(
            factory: factory, clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: logs))
    }

    @Test func reloadRestartsOnlyTheChangedReaderAndRejectsBadConfigurations() async throws {
        let ledger = FactoryLedger()
        let logs = InMemoryLogHandler()
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let reloads = Mutex<[Result<Configuration, ShipperError>]>([
            .success(configuration(interval: .seconds(2))),
            .failure(ShipperError(lines: ["readers.a.interval: \"x\" is not a duration"])),
        ])
        let shipper = shipper(ledger, logs: logs)
        let run = Task {
            await shipper.run(configuration: configuration(interval: .seconds(1)), signals: signals) {
                reloads.withLock { $0.removeFirst() }
            }
        }
        try await waitUntil { ledger.made.withLock { $0.count } == 3 }
        send.yield(SIGHUP)
        try await waitUntil { ledger.made.withLock { $0.count } == 4 }
        send.yield(SIGHUP)
        try await waitUntil { logs.records.contains { $0.message.contains("previous configuration keeps running") } }
        send.yield(SIGTERM)
        let status = await run.value
        #expect(status == 0)
        #expect(ledger.made.withLock { $0 } == ["recorder.out", "reader.a", "reader.b", "reader.a"])
        #expect(ledger.finished.withLock { $0 } == ["out"])
        #expect(logs.records.contains { $0.level == .error && $0.message.contains("readers.a.interval") })
    }
}

extension ShipperTests {
    struct SpoolDirectoryNotWritable: Error {}

    @Test func aRecorderThatCannotStartStopsTheProcessWithExitCode1() async {
        let logs = InMemoryLogHandler()
        let factory = ComponentFactory(
            makeReader: { config, _ in ConstantReader(name: config.name) },
            makeRecorder: { _, _ in throw SpoolDirectoryNotWritable() })
        let shipper = Shipper(
            factory: factory, clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: logs))
        let (signals, _) = AsyncStream<Int32>.makeStream()
        let status = await shipper.run(configuration: configuration(interval: .seconds(1)), signals: signals) {
            .failure(ShipperError(lines: []))
        }
        #expect(status == 1)
        #expect(logs.records.contains { $0.level == .error && $0.message.contains("cannot start recorder") })
        #expect(!logs.records.contains { $0.message == "running" })
    }
}

/// Polls a condition every 5 ms for at most `seconds`. The default is generous: the unit pass runs
/// CPU-heavy tests (property tests, a large spool restart) that can hold both cooperative threads
/// of this 2-core machine for several seconds, and a shipper must get a thread to start its engines.
func waitUntil(seconds: Double = 20, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { throw CancellationError() }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
}

extension ShipperTests {
    /// The status page's removal path: recorders are reported as they start and end, and a reader a
    /// reload drops is forgotten once its engine has ended.
    @Test func reportsRecordersAndForgetsRemovedReaders() async throws {
        let recorders = Mutex<[String]>([])
        let forgotten = Mutex<[String]>([])
        let (signals, send) = AsyncStream<Int32>.makeStream()
        var onlyA = configuration(interval: .seconds(1))
        onlyA.readers.removeAll { $0.name == "b" }
        onlyA.routes = [RouteConfiguration(name: "r", readers: ["a"], recorders: ["out"])]
        let next = onlyA
        let ledger = FactoryLedger()
        let factory = ComponentFactory(
            makeReader: { config, _ in ConstantReader(name: config.name) },
            makeRecorder: { config, _ in FinishTrackingRecorder(name: config.name, ledger: ledger) })
        let shipper = Shipper(
            factory: factory, clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", handler: NoOpLogHandler()),
            onHealth: { component, health in
                if health == nil { forgotten.withLock { $0.append(component) } }
            },
            onRecorder: { name, recorder in
                recorders.withLock { $0.append((recorder == nil ? "-" : "+") + name) }
            })
        let run = Task {
            await shipper.run(configuration: configuration(interval: .seconds(1)), signals: signals) {
                .success(next)
            }
        }
        try await waitUntil { recorders.withLock { $0 } == ["+out"] }
        send.yield(SIGHUP)
        try await waitUntil { forgotten.withLock { $0 }.contains("reader.b") }
        #expect(!forgotten.withLock { $0 }.contains("reader.a"))
        send.yield(SIGTERM)
        #expect(await run.value == 0)
        #expect(recorders.withLock { $0 } == ["+out", "-out"])
    }
}
