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
