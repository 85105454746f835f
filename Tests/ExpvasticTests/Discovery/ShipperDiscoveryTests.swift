import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// Answers what the test last set: targets, or a failure.
final class ScriptedFetcher: TargetFetcher {
    let answer = Mutex<Result<[String], DiscoveryError>>(.success([]))
    let asked = Atomic<Int>(0)
    func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        asked.add(1, ordering: .relaxed)
        let targets = try answer.withLock { $0 }.get()
        return DiscoveryAnswer(targets: targets.map { DiscoveredTarget(address: $0, labels: ["zone": "z"]) })
    }
}

/// One document per poll whose id is the target's endpoint.
struct EndpointReader: Reader {
    let name: String
    let endpoint: String
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        [Document(id: endpoint, timestampMillis: 0, reader: name, body: [])]
    }
}

/// A job whose targets come and go, driven by an injected clock.
@Suite struct ShipperDiscoveryTests {
    @Test func targetsFollowTheSourceAndAFailingSourceKeepsTheLastSet() async throws {
        let clock = ManualClock()
        let fetcher = ScriptedFetcher()
        let log = RecorderEventLog()
        let made = Mutex<[String: Int]>([:])
        let health = HealthBoard()
        let registry = MetricsRegistry()
        let logs = InMemoryLogHandler()
        var job = ReaderConfiguration(name: "api", kind: .expvar, typeName: "t", url: nil)
        job.interval = .seconds(1)
        var source = TargetSourceConfiguration.HTTP(url: try Endpoint.parse("http://sd:1/targets").get())
        source.refresh = .seconds(1)
        job.targets = [.http(source)]
        let configuration = Configuration(
            readers: [job],
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["api"], recorders: ["out"])])
        let factory = ComponentFactory(
            makeReader: { config, _ in
                let endpoint = config.url?.description ?? ""
                made.withLock { $0[endpoint, default: 0] += 1 }
                #expect(config.labels == ["zone": "z"])
                return EndpointReader(name: config.name, endpoint: endpoint)
            },
            makeRecorder: { config, _ in EventLogRecorder(name: config.name, log: log) },
            makeTargetFetcher: { _, _ in fetcher })
        let shipper = Shipper(
            factory: factory, clock: clock, metrics: registry,
            logger: Logger(component: "expvasyml", level: .debug, handler: logs),
            onPoll: { health.record($0) },
            onHealth: { component, state in
                if let state { health.set(component, state) } else { health.remove(component) }
            })
        let t1 = "http://10.0.0.1:80/debug/vars"
        let t2 = "http://10.0.0.2:80/debug/vars"
        let t3 = "http://10.0.0.3:80/debug/vars"
        func polls(_ endpoint: String) -> Int { log.events.count { $0 == "out1 accept \(endpoint)" } }
        /// Advances one second at a time until `condition` holds (at most 20 steps).
        func advance(until condition: () -> Bool) async throws {
            for _ in 0..<20 {
                if condition() { return }
                clock.advance(by: .seconds(1))
                try? await waitUntil(seconds: 0.5, condition)
            }
            #expect(condition(), "\(log.events)")
        }
        fetcher.answer.withLock { $0 = .success(["10.0.0.1:80", "10.0.0.2:80"]) }
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let run = Task { await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } }

        try await advance { polls(t1) >= 2 && polls(t2) >= 2 }
        // t1 goes, t3 comes: t2 keeps its engine.
        fetcher.answer.withLock { $0 = .success(["10.0.0.2:80", "10.0.0.3:80"]) }
        try await advance { polls(t3) >= 2 }
        try await waitUntil { !health.components.contains("reader.api@\(t1)") }
        let t1Polls = polls(t1)
        let t2Polls = polls(t2)
        try await advance { polls(t2) >= t2Polls + 3 }
        #expect(polls(t1) == t1Polls)
        #expect(made.withLock { $0 } == [t1: 1, t2: 1, t3: 1])
        #expect(!registry.snapshot().contains { $0.key.labels.contains(MetricKey.Label("endpoint", t1)) })
        #expect(registry.value(MetricKey("polls_ok", labels: [.init("reader", "api"), .init("endpoint", t2)])) != nil)

        // The source fails for several refreshes: the last set keeps being polled, one warning.
        fetcher.answer.withLock { $0 = .failure(DiscoveryError(code: "http_status", message: "HTTP 500")) }
        let asked = fetcher.asked.load(ordering: .relaxed)
        try await advance { fetcher.asked.load(ordering: .relaxed) >= asked + 3 }
        #expect(health.components.contains("discovery.api.0.http"))
        try await waitUntil { health.health()["discovery.api.0.http"] == .degraded }
        let t3Polls = polls(t3)
        try await advance { polls(t3) >= t3Polls + 2 }
        #expect(logs.records.count { $0.message.hasPrefix("discovery failed;") } == 1)
        #expect(
            registry.value(MetricKey("discovery_failures", labels: [.init("reader", "api"), .init("source", "0")]))
                .map { if case .counter(let n) = $0 { n >= 3 } else { false } } == true)
        fetcher.answer.withLock { $0 = .success(["10.0.0.3:80"]) }
        try await advance { health.health()["discovery.api.0.http"] == .ok }
        #expect(logs.records.count { $0.message == "discovery answers again" } == 1)
        try await waitUntil { !health.components.contains("reader.api@\(t2)") }

        send.yield(SIGTERM)
        #expect(await run.value == 0)
    }
}
