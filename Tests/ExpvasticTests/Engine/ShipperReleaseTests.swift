import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

struct FailingReader: Reader {
    let name: String
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        throw ReaderError(code: "http_status", message: "GET \(name): HTTP 500")
    }
}

/// What a reader leaves behind when a reload removes it: nothing (no health entry, no series), and
/// its poll in flight still reaches the recorders.
@Suite struct ShipperReleaseTests {
    func configuration(readers names: [String]) -> Configuration {
        var readers: [ReaderConfiguration] = []
        for name in names {
            var reader = ReaderConfiguration(name: name, kind: .self, typeName: "t", url: nil)
            reader.interval = .milliseconds(20)
            readers.append(reader)
        }
        return Configuration(
            readers: readers,
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: names, recorders: ["out"])]
        )
    }

    @Test func aReaderRemovedByReloadLeavesHealthzAndMetricsAndStopsDegradingTheProcess() async throws {
        let registry = MetricsRegistry()
        let health = HealthBoard()
        let log = RecorderEventLog()
        let factory = ComponentFactory(
            makeReader: { config, _ in
                config.name == "broken"
                    ? FailingReader(name: config.name) as any Reader : ConstantReader(name: config.name)
            },
            makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) })
        let shipper = Shipper(
            factory: factory, clock: SystemClock(), metrics: registry,
            logger: Logger(component: "expvasyml", level: .debug, handler: InMemoryLogHandler()),
            onPoll: { health.record($0) },
            onHealth: { component, state in
                if let state { health.set(component, state) } else { health.remove(component) }
            })
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let next = configuration(readers: ["good"])
        let run = Task {
            await shipper.run(configuration: configuration(readers: ["good", "broken"]), signals: signals) {
                .success(next)
            }
        }
        func series(of reader: String) -> [MetricKey] {
            registry.snapshot().map(\.key).filter { $0.labels.contains(MetricKey.Label("reader", reader)) }
        }
        try await waitUntil { health.health()["reader.broken"] == .degraded }
        #expect(!series(of: "broken").isEmpty)
        send.yield(SIGHUP)
        try await waitUntil { health.health()["reader.broken"] == nil }
        try await waitUntil { series(of: "broken").isEmpty }
        let polled = log.events.count
        try await waitUntil { log.events.count > polled + 2 }
        // The remaining reader keeps polling and the process is healthy again.
        #expect(health.health() == ["reader.good": .ok])
        #expect(!series(of: "good").isEmpty)
        send.yield(SIGTERM)
        #expect(await run.value == 0)
    }

    @Test func aReaderRemovedWhilePollingDeliversThatPoll() async throws {
        let gated = GatedReader(name: "gated")
        let log = RecorderEventLog()
        let factory = ComponentFactory(
            makeReader: { config, _ in config.name == "gated" ? gated as any Reader : ConstantReader(name: config.name)
            },
            makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) })
        let shipper = Shipper(
            factory: factory, clock: SystemClock(), metrics: MetricsRegistry(),
            logger: Logger(component: "expvasyml", level: .debug, handler: InMemoryLogHandler()))
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let next = configuration(readers: ["other"])
        let run = Task {
            await shipper.run(configuration: configuration(readers: ["other", "gated"]), signals: signals) {
                .success(next)
            }
        }
        try await waitUntil { gated.isWaiting }
        send.yield(SIGHUP)
        // The other reader keeps polling while the removed one's poll is still answering.
        let before = log.events.count
        try await waitUntil { log.events.count > before + 2 }
        #expect(!log.events.contains("out1 accept gated-2"))
        gated.open()
        try await waitUntil { log.events.contains("out1 accept gated-2") }
        send.yield(SIGTERM)
        #expect(await run.value == 0)
        // Polled twice: the removal let the second poll finish and did not start a third.
        #expect(gated.reads == 2)
        #expect(log.events.filter { $0.hasSuffix("finish") } == ["out1 finish"])
    }
}

@Suite struct MetricsRegistryRemovalTests {
    @Test func removingATargetsSeriesLeavesTheOthers() {
        let registry = MetricsRegistry()
        let a = [MetricKey.Label("reader", "api"), MetricKey.Label("endpoint", "http://a/")]
        let b = [MetricKey.Label("reader", "api"), MetricKey.Label("endpoint", "http://b/")]
        registry.counter(MetricKey("polls_ok", labels: a)).increment()
        registry.counter(MetricKey("polls_ok", labels: b)).increment()
        registry.counter(MetricKey("bytes_read", labels: [MetricKey.Label("reader", "api")])).increment()
        #expect(registry.removeSeries(labelled: a) == 1)
        #expect(
            registry.snapshot().map(\.key.description) == [
                "polls_ok{reader=api,endpoint=http://b/}", "bytes_read{reader=api}",
            ])
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "api")]) == 2)
        #expect(registry.seriesCount == 0)
        // A series made again after its removal starts from zero.
        #expect(registry.counter(MetricKey("polls_ok", labels: a)).value == 0)
    }

    @Test func healthBoardForgetsARemovedComponent() {
        let health = HealthBoard()
        health.set("discovery.api.0.dns", .degraded)
        health.record(
            Engine.PollEvent(
                reader: "api", component: "reader.api@http://a/", wallNanos: 0, latencyNanos: 0, succeeded: false))
        #expect(health.components == ["discovery.api.0.dns", "reader.api@http://a/"])
        health.remove("reader.api@http://a/")
        health.remove("discovery.api.0.dns")
        #expect(health.health().isEmpty)
    }
}
