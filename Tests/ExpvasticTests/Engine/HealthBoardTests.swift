import ExpvasticTestSupport
import Testing

@testable import Expvastic

@Suite struct HealthBoardTests {
    struct StatusRecorder: Recorder {
        var name: String
        var spoolBytes: Int
        var blocked = false
        func accept(_ document: Document) {}
        func finish(deadline: UInt64) async {}
        func run() async throws {}
        var status: RecorderStatus {
            RecorderStatus(
                name: name, kind: "test", state: blocked ? .blocked : spoolBytes > 0 ? .spooling : .connected,
                spoolBytes: spoolBytes)
        }
    }

    static func poll(_ reader: String, ok: Bool, failures: Int = 0, backingOff: Bool = false) -> Engine.PollEvent {
        Engine.PollEvent(
            reader: reader, wallNanos: 5_000_000_000, latencyNanos: 1234, succeeded: ok,
            endpoint: "http://127.0.0.1:1/\(reader)", error: ok ? nil : "refused", consecutiveFailures: failures,
            backingOff: backingOff, droppedFields: [(reason: "null", count: 2)])
    }

    @Test func targetsComeFromPollsAndGoWhenRemoved() {
        let board = HealthBoard()
        board.record(Self.poll("b", ok: false, failures: 1))
        board.record(Self.poll("a", ok: true))
        board.record(Self.poll("c", ok: false, failures: 6, backingOff: true))
        board.register(StatusRecorder(name: "es", spoolBytes: 10))
        board.register(StatusRecorder(name: "file", spoolBytes: 0))
        let snapshot = board.status(wallNanos: 42)
        #expect(snapshot.wallNanos == 42)
        #expect(snapshot.targets.map(\.job) == ["a", "b", "c"])
        #expect(snapshot.targets.map(\.state) == [.up, .failing, .backingOff])
        #expect(snapshot.targets[1].lastError == "refused")
        #expect(snapshot.targets[1].endpoint == "http://127.0.0.1:1/b")
        #expect(snapshot.targets[2].consecutiveFailures == 6)
        #expect(snapshot.targets[0].droppedFields.map(\.reason) == ["null"])
        #expect(snapshot.recorders.map(\.name) == ["es", "file"])
        #expect(snapshot.discoverySources.isEmpty && snapshot.poolMembers.isEmpty)
        #expect(
            board.health() == [
                "reader.a": .ok, "reader.b": .degraded, "reader.c": .degraded, "recorder.es": .degraded,
                "recorder.file": .ok,
            ])

        board.removeTarget(job: "b")
        board.removeRecorder(named: "es")
        let after = board.status(wallNanos: 43)
        #expect(after.targets.map(\.job) == ["a", "c"])
        #expect(after.recorders.map(\.name) == ["file"])
        #expect(board.health() == ["reader.a": .ok, "reader.c": .degraded, "recorder.file": .ok])
    }

    @Test func aRecoveredTargetIsUpWithoutAnError() {
        let board = HealthBoard()
        board.record(Self.poll("a", ok: false, failures: 3))
        board.record(Self.poll("a", ok: true))
        let target = board.status(wallNanos: 0).targets[0]
        #expect(target.state == .up && target.lastError == nil && target.consecutiveFailures == 0)
    }

    /// Blocked wins over a spool that holds data: it says why the data waits.
    @Test func aRecorderWhoseClusterRefusesWritesIsBlocked() {
        let board = HealthBoard()
        board.register(StatusRecorder(name: "es", spoolBytes: 4096, blocked: true))
        #expect(board.health() == ["recorder.es": .blocked])
        board.register(StatusRecorder(name: "es", spoolBytes: 4096))
        #expect(board.health() == ["recorder.es": .degraded])
        #expect(ComponentHealth.blocked.rawValue == "blocked")
    }

    /// Discovered targets are kept apart by endpoint and a discovery source shows with its job.
    @Test func discoveredTargetsAndSourcesComeAndGo() {
        let board = HealthBoard()
        board.set("discovery.api.0.dns", .degraded)
        for endpoint in ["http://a/", "http://b/"] {
            board.record(
                Engine.PollEvent(
                    reader: "api", component: "reader.api@\(endpoint)", wallNanos: 1, latencyNanos: 1,
                    succeeded: true, endpoint: endpoint, labels: [(name: "zone", value: "z1")]))
        }
        let snapshot = board.status(wallNanos: 2)
        #expect(snapshot.targets.map(\.endpoint) == ["http://a/", "http://b/"])
        #expect(snapshot.targets[0].labels.map(\.value) == ["z1"])
        #expect(snapshot.discoverySources.map(\.job) == ["api"])
        #expect(snapshot.discoverySources[0].state == "failing" && snapshot.discoverySources[0].targets == 2)
        #expect(board.health()["discovery.api.0.dns"] == .degraded)
        board.remove("reader.api@http://a/")
        board.remove("discovery.api.0.dns")
        #expect(board.status(wallNanos: 3).targets.map(\.endpoint) == ["http://b/"])
        #expect(board.health() == ["reader.api@http://b/": .ok])
    }
}
