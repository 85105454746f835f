import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// Counts polls per endpoint; documents go nowhere.
final class PollCounter: Sendable {
    let polls = Mutex<[String: Int]>([:])
    func count(_ endpoint: String) -> Int { polls.withLock { $0[endpoint] ?? 0 } }
}

struct CountingReader: Reader {
    let name: String
    let endpoint: String
    let counter: PollCounter
    func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        counter.polls.withLock { $0[endpoint, default: 0] += 1 }
        return [Document(id: endpoint, timestampMillis: 0, reader: name, body: [])]
    }
}

struct NullRecorder: Recorder {
    let name: String
    func accept(_ document: Document) {}
    func run() async throws {
        while !Task.isCancelled { try await Task.sleep(nanoseconds: 50_000_000) }
    }
    func finish(deadline: UInt64) async {}
}

/// DNS discovery against a real dnsmasq on 127.0.0.1 (SPEC §13, issue 14).
@Suite(.serialized) struct DNSDiscoveryTests {
    static let srvName = "_api._tcp.test"

    @Test func aAndAAAARecordsGiveAddressPortTargetsWithTheirTTL() async throws {
        let server = try await Dnsmasq.start(
            port: try FreePort.pick(),
            records: ["--host-record=api.test,127.0.0.21,fd00::21", "--host-record=api.test,127.0.0.22"])
        var a = TargetSourceConfiguration.DNS(names: ["api.test"])
        a.type = .a
        a.port = 9000
        a.nameserver = "127.0.0.1:\(server.port)"
        let answer = try await DNSTargetFetcher(configuration: a, executor: BlockingExecutor()).fetch()
        #expect(Set(answer.targets.map(\.address)) == ["127.0.0.21:9000", "127.0.0.22:9000"])
        #expect(answer.validForNanos == 1_000_000_000)
        a.type = .aaaa
        let v6 = try await DNSTargetFetcher(configuration: a, executor: BlockingExecutor()).fetch()
        #expect(v6.targets.map(\.address) == ["[fd00:0:0:0:0:0:0:21]:9000"])
        await server.stop()
    }

    @Test func srvTargetsAreFollowedAndAStoppedServerKeepsTheLastSetAndDegradesHealth() async throws {
        let port = try FreePort.pick()
        func records(_ hosts: [(name: String, address: String, port: Int)]) -> [String] {
            hosts.flatMap {
                ["--srv-host=\(Self.srvName),\($0.name),\($0.port)", "--host-record=\($0.name),\($0.address)"]
            }
        }
        var server = try await Dnsmasq.start(
            port: port, records: records([("t1.test", "127.0.0.11", 8080), ("t2.test", "127.0.0.12", 8081)]))
        var dns = TargetSourceConfiguration.DNS(names: [Self.srvName])
        dns.refresh = .seconds(1)
        dns.timeout = .milliseconds(300)
        dns.nameserver = "127.0.0.1:\(port)"
        var job = ReaderConfiguration(name: "api", kind: .expvar, typeName: "t", url: nil)
        job.interval = .milliseconds(100)
        job.targets = [.dns(dns)]
        let configuration = Configuration(
            readers: [job],
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["api"], recorders: ["out"])])
        let counter = PollCounter()
        let health = HealthBoard()
        let registry = MetricsRegistry()
        let logs = InMemoryLogHandler()
        let executor = BlockingExecutor()
        let factory = ComponentFactory(
            makeReader: { config, _ in
                CountingReader(name: config.name, endpoint: config.url?.description ?? "", counter: counter)
            },
            makeRecorder: { config, _ in NullRecorder(name: config.name) },
            makeTargetFetcher: { source, _ in
                guard case .dns(let dns) = source else { preconditionFailure("only dns here") }
                return DNSTargetFetcher(configuration: dns, executor: executor)
            })
        let shipper = Shipper(
            factory: factory, clock: SystemClock(), metrics: registry,
            logger: Logger(component: "expvasyml", level: .debug, handler: logs),
            onPoll: { health.record($0) },
            onHealth: { component, state in
                if let state { health.set(component, state) } else { health.remove(component) }
            })
        let (signals, send) = AsyncStream<Int32>.makeStream()
        let run = Task { await shipper.run(configuration: configuration, signals: signals) { .success(configuration) } }
        let t1 = "http://127.0.0.11:8080/debug/vars"
        let t2 = "http://127.0.0.12:8081/debug/vars"
        let t3 = "http://127.0.0.13:8082/debug/vars"
        let source = "discovery.api.0.dns"

        #expect(await waitUntil(within: 10) { counter.count(t1) >= 2 && counter.count(t2) >= 2 })
        #expect(health.health()[source] == .ok)
        // t2 goes, t3 comes: the next refresh (TTL 1 s) follows.
        await server.stop()
        server = try await Dnsmasq.start(
            port: port, records: records([("t1.test", "127.0.0.11", 8080), ("t3.test", "127.0.0.13", 8082)]))
        #expect(await waitUntil(within: 10) { counter.count(t3) >= 2 })
        #expect(await waitUntil(within: 5) { !health.components.contains("reader.api@\(t2)") })
        let t2Polls = counter.count(t2)
        // The DNS server goes away: the last set keeps being polled and the source is degraded.
        await server.stop()
        #expect(await waitUntil(within: 10) { health.health()[source] == .degraded })
        let (t1Polls, t3Polls) = (counter.count(t1), counter.count(t3))
        #expect(await waitUntil(within: 10) { counter.count(t1) >= t1Polls + 3 && counter.count(t3) >= t3Polls + 3 })
        #expect(counter.count(t2) == t2Polls)
        #expect(logs.records.count { $0.message.hasPrefix("discovery failed;") } == 1)
        send.yield(SIGTERM)
        #expect(await run.value == 0)
    }
}
