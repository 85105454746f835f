import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// Building one job's targets again: what changed is reported, the rest is kept, and the result is
/// the state a full build gives.
@Suite struct DesiredStateBuilderTests {
    /// Job `api` (file source, route path `/debug/vars` by default), a static reader `db`, both to `out`.
    static func configuration(routePath: String? = nil) throws -> Configuration {
        var job = ReaderConfiguration(name: "api", kind: .expvar, typeName: "t", url: nil)
        job.targets = [.file(TargetSourceConfiguration.File(paths: ["/nowhere.json"]))]
        job.routePath = routePath
        let db = ReaderConfiguration(
            name: "db", kind: .expvar, typeName: "t", url: try Endpoint.parse("http://10.9.9.9:1/debug/vars").get())
        return Configuration(
            readers: [job, db],
            recorders: [RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/dev/null")))],
            routes: [RouteConfiguration(name: "r", readers: ["api", "db"], recorders: ["out"])])
    }

    static func id(_ address: String) -> TargetID {
        TargetID(reader: "api", endpoint: "http://\(address)/debug/vars")
    }

    @Test func anUpdateReportsWhatAppearedWentOrChangedAndMatchesAFullBuild() throws {
        let configuration = try Self.configuration()
        let first = [
            DiscoveredTarget(address: "10.0.0.1:80", labels: ["zone": "a"]),
            DiscoveredTarget(address: "10.0.0.2:80", labels: ["zone": "a"]),
            DiscoveredTarget(address: "10.0.0.3:80", labels: ["zone": "a"]),
        ]
        var builder = DesiredStateBuilder()
        #expect(builder.build(configuration: configuration, discovered: ["api": first]).isEmpty)
        #expect(builder.state.targets.count == 4)
        #expect(builder.state == DesiredState(configuration: configuration, discovered: ["api": first]))

        // 1 kept as it is, 2 relabelled, 3 gone, 4 new, a duplicate of 1 (its labels lose), one invalid.
        let second = [
            DiscoveredTarget(address: "10.0.0.1:80", labels: ["zone": "a"]),
            DiscoveredTarget(address: "10.0.0.2:80", labels: ["zone": "b"]),
            DiscoveredTarget(address: "10.0.0.4:80", labels: ["zone": "a"]),
            DiscoveredTarget(address: "10.0.0.1:80", labels: ["zone": "z"]),
            DiscoveredTarget(address: "not an address"),
        ]
        let update = builder.update(job: "api", discovered: second)
        #expect(update.changed == [Self.id("10.0.0.2:80"), Self.id("10.0.0.3:80"), Self.id("10.0.0.4:80")])
        #expect(update.invalid == ["api: not an address"])
        #expect(builder.state == DesiredState(configuration: configuration, discovered: ["api": second]))
        #expect(builder.state.targets[Self.id("10.0.0.1:80")]?.reader.labels == ["zone": "a"])
        #expect(builder.state.targets[Self.id("10.0.0.2:80")]?.reader.labels == ["zone": "b"])

        // The same answer again changes nothing; another reader's name, or no name, changes nothing.
        #expect(builder.update(job: "api", discovered: second).changed.isEmpty)
        #expect(builder.update(job: "db", discovered: first).changed.isEmpty)
        #expect(builder.update(job: "unknown", discovered: first).changed.isEmpty)
        #expect(builder.state == DesiredState(configuration: configuration, discovered: ["api": second]))

        // Everything gone: every target of the job is reported; the static reader stays.
        let empty = builder.update(job: "api", discovered: [])
        #expect(empty.changed == [Self.id("10.0.0.1:80"), Self.id("10.0.0.2:80"), Self.id("10.0.0.4:80")])
        #expect(builder.state.targets.keys.map(\.reader) == ["db"])
    }

    /// Random answers (addresses from a small pool, labels flipping, duplicates) applied one after
    /// another give the state a full build of the last answer gives, and `changed` names exactly
    /// the targets that differ from the previous state.
    @Test func randomUpdatesAgreeWithFullBuilds() throws {
        let configuration = try Self.configuration(routePath: "/metrics.json")
        var random = SplitMix64(seed: 19)
        var builder = DesiredStateBuilder()
        builder.build(configuration: configuration, discovered: [:])
        for _ in 0..<200 {
            let count = Int(random.next() % 12)
            let answer = (0..<count).map { _ in
                DiscoveredTarget(
                    address: "10.0.0.\(random.next() % 10):80", labels: ["zone": random.next() % 3 == 0 ? "b" : "a"])
            }
            let before = builder.state
            let changed = builder.update(job: "api", discovered: answer).changed
            let full = DesiredState(configuration: configuration, discovered: ["api": answer])
            #expect(builder.state == full)
            let differing = Set(before.targets.keys).union(full.targets.keys).filter {
                before.targets[$0] != full.targets[$0]
            }
            #expect(changed == differing)
        }
    }

    /// Addresses in several spellings of one target (with and without scheme or route path),
    /// invalid ones, duplicates and flipping labels: after each answer the job's targets are those
    /// a plain reading of the answer gives (first spelling of an id wins), `changed` names exactly
    /// the targets that differ, and the invalid addresses are those of the answer, in order.
    @Test func randomAnswersInMixedSpellingsAgreeWithAPlainReading() throws {
        let configuration = try Self.configuration()
        var template = configuration.readers[0]
        template.targets = []
        var random = SplitMix64(seed: 1_909)
        var builder = DesiredStateBuilder()
        builder.build(configuration: configuration, discovered: [:])
        let db = builder.state.targets.filter { $0.key.reader == "db" }
        func spelling(_ host: UInt64) -> String {
            switch random.next() % 7 {
            case 0: "10.0.0.\(host):80"
            case 1: "http://10.0.0.\(host):80"
            case 2: "HTTP://10.0.0.\(host):80/debug/vars"
            case 3: "10.0.0.\(host)"
            case 4: "10.0.0.\(host):0"
            case 5: "10.0.0.\(host) :80"
            default: "10.0.0.\(host):8\(host % 3)/x"
            }
        }
        for _ in 0..<300 {
            let answer = (0..<Int(random.next() % 14)).map { _ in
                DiscoveredTarget(
                    address: spelling(random.next() % 8), labels: ["zone": random.next() % 3 == 0 ? "b" : "a"])
            }
            var expected = db
            var invalid: [String] = []
            for found in answer {
                guard let url = ReaderConfiguration.targetURL(of: found.address, routePath: nil) else {
                    invalid.append("api: \(found.address)")
                    continue
                }
                let id = TargetID(reader: "api", endpoint: url.description)
                guard expected[id] == nil else { continue }
                var reader = template
                reader.url = url
                reader.labels = found.labels
                expected[id] = DesiredState.Target(
                    reader: reader, recorders: ["out"], logLevel: .info, discovered: true)
            }
            let before = builder.state
            let result = builder.update(job: "api", discovered: answer)
            #expect(builder.state.targets == expected)
            #expect(result.invalid == invalid)
            let differing = Set(before.targets.keys).union(expected.keys).filter {
                before.targets[$0] != expected[$0]
            }
            #expect(result.changed == differing)
        }
    }
}
