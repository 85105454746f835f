import Expvastic
import Testing

/// The reconciler with no I/O: desired states in, actions out.
@Suite struct ReconcilerTests {
    static func recorder(_ name: String, path: String = "/dev/null") -> DesiredState.Recorder {
        DesiredState.Recorder(
            configuration: RecorderConfiguration(name: name, kind: .file(FileRecorderConfiguration(path: path))),
            logLevel: .info)
    }

    static func target(_ reader: String, _ endpoint: String, interval: Duration = .seconds(1), recorders: [String])
        -> (TargetID, DesiredState.Target)
    {
        var configuration = ReaderConfiguration(
            name: reader, kind: .expvar, typeName: "t", url: try? Endpoint.parse(endpoint).get())
        configuration.interval = interval
        return (
            TargetID(reader: reader, endpoint: endpoint),
            DesiredState.Target(reader: configuration, recorders: recorders, logLevel: .info, discovered: true)
        )
    }

    static func state(recorders: [DesiredState.Recorder], targets: [(TargetID, DesiredState.Target)]) -> DesiredState {
        DesiredState(
            recorders: Dictionary(uniqueKeysWithValues: recorders.map { ($0.configuration.name, $0) }),
            targets: Dictionary(uniqueKeysWithValues: targets))
    }

    let a1 = target("api", "http://10.0.0.1:8080/debug/vars", recorders: ["es"])
    let a2 = target("api", "http://10.0.0.2:8080/debug/vars", recorders: ["es"])
    let a3 = target("api", "http://10.0.0.3:8080/debug/vars", recorders: ["es"])
    let b1 = target("db", "http://10.0.1.1:8080/debug/vars", recorders: ["file"])

    /// Names actions compactly so a test reads like the sequence it expects.
    static func names(_ actions: [Reconciler.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .startRecorder(let name, _): "start recorder \(name)"
            case .stopRecorder(let name): "stop recorder \(name)"
            case .startTarget(let id, _): "start \(id)"
            case .stopTarget(let id): "stop \(id)"
            }
        }
    }

    @Test func startStartsRecordersBeforeTheTargetsThatFeedThem() {
        var reconciler = Reconciler()
        let actions = reconciler.desire(
            Self.state(recorders: [Self.recorder("es"), Self.recorder("file")], targets: [a1, b1]))
        #expect(
            Self.names(actions) == [
                "start recorder es", "start recorder file", "start \(a1.0)", "start \(b1.0)",
            ])
        #expect(reconciler.isSettled)
    }

    @Test func addingATargetStartsOnlyThatTarget() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2]))
        let actions = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2, a3]))
        #expect(Self.names(actions) == ["start \(a3.0)"])
    }

    @Test func removingATargetStopsOnlyThatTargetAndKeepsTheRecorder() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2]))
        let actions = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1]))
        #expect(Self.names(actions) == ["stop \(a2.0)"])
        #expect(!reconciler.isSettled)
        #expect(reconciler.stopping == [.target(a2.0)])
        #expect(reconciler.stopped(.target(a2.0)).isEmpty)
        #expect(reconciler.isSettled)
    }

    @Test func changedReaderSettingsRestartItsTargetsOnceTheyEndedAndNoOthers() {
        var reconciler = Reconciler()
        _ = reconciler.desire(
            Self.state(recorders: [Self.recorder("es"), Self.recorder("file")], targets: [a1, a2, b1]))
        let slower1 = Self.target("api", a1.0.endpoint, interval: .seconds(5), recorders: ["es"])
        let slower2 = Self.target("api", a2.0.endpoint, interval: .seconds(5), recorders: ["es"])
        let stops = reconciler.desire(
            Self.state(recorders: [Self.recorder("es"), Self.recorder("file")], targets: [slower1, slower2, b1]))
        // Not started again before the old engine ended (its poll in flight is still being delivered).
        #expect(Self.names(stops) == ["stop \(a1.0)", "stop \(a2.0)"])
        #expect(Self.names(reconciler.stopped(.target(a2.0))) == ["start \(a2.0)"])
        let restart = reconciler.stopped(.target(a1.0))
        #expect(restart == [.startTarget(slower1.0, slower1.1)])
        #expect(reconciler.isSettled)
        #expect(reconciler.running.targets[b1.0] == b1.1)
    }

    @Test func changedRecorderPausesItsReadersWhileItIsReplaced() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es"), Self.recorder("file")], targets: [a1, b1]))
        let moved = Self.recorder("es", path: "/tmp/elsewhere")
        var actions = reconciler.desire(Self.state(recorders: [moved, Self.recorder("file")], targets: [a1, b1]))
        // First the engines that feed it end, then it is flushed, then the new one starts, then its engines.
        #expect(Self.names(actions) == ["stop \(a1.0)"])
        actions = reconciler.stopped(.target(a1.0))
        #expect(Self.names(actions) == ["stop recorder es"])
        actions = reconciler.stopped(.recorder("es"))
        #expect(actions == [.startRecorder("es", moved), .startTarget(a1.0, a1.1)])
        #expect(reconciler.isSettled)
    }

    @Test func manyChangesWhileAPreviousSetIsStillStoppingEndInTheLastOne() {
        var reconciler = Reconciler()
        let es = Self.recorder("es")
        _ = reconciler.desire(Self.state(recorders: [es], targets: [a1, a2]))
        var all: [Reconciler.Action] = []
        // a2 goes, comes back, the recorder changes, a3 comes — all before anything has ended.
        all += reconciler.desire(Self.state(recorders: [es], targets: [a1]))
        all += reconciler.desire(Self.state(recorders: [es], targets: [a1, a2]))
        let moved = Self.recorder("es", path: "/tmp/elsewhere")
        all += reconciler.desire(Self.state(recorders: [moved], targets: [a1, a2, a3]))
        let final = Self.state(recorders: [moved], targets: [a1, a3])
        all += reconciler.desire(final)
        // Each running component is asked to stop once; nothing starts while what it replaces is stopping.
        #expect(Self.names(all) == ["stop \(a2.0)", "stop \(a1.0)"])
        all = reconciler.stopped(.target(a2.0))
        #expect(all.isEmpty)
        all = reconciler.stopped(.target(a1.0))
        #expect(Self.names(all) == ["stop recorder es"])
        all = reconciler.stopped(.recorder("es"))
        #expect(Self.names(all) == ["start recorder es", "start \(a1.0)", "start \(a3.0)"])
        #expect(reconciler.running == final)
        #expect(reconciler.isSettled)
    }

    @Test func shutdownStopsEveryTargetThenEveryRecorder() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es"), Self.recorder("file")], targets: [a1, b1]))
        #expect(Self.names(reconciler.desire(.empty)) == ["stop \(a1.0)", "stop \(b1.0)"])
        #expect(Self.names(reconciler.stopped(.target(b1.0))) == ["stop recorder file"])
        #expect(Self.names(reconciler.stopped(.target(a1.0))) == ["stop recorder es"])
        _ = reconciler.stopped(.recorder("es"))
        #expect(!reconciler.isIdle)
        _ = reconciler.stopped(.recorder("file"))
        #expect(reconciler.isIdle)
    }

    /// 1,000 targets with 10 % replaced and 10 % changed: the desire stops exactly the 200 and
    /// starts the 100 new ones; each stopped target that ends brings back exactly itself when it is
    /// still wanted (changed) and nothing when it is not (removed), whatever the order they end in.
    @Test func aTenPercentRewriteOfAThousandTargetsTouchesOnlyThose() {
        var reconciler = Reconciler()
        let es = Self.recorder("es")
        func endpoint(_ index: Int) -> String { "http://127.0.0.1:\(20_000 + index)/debug/vars" }
        let before = (0..<1000).map { Self.target("api", endpoint($0), recorders: ["es"]) }
        _ = reconciler.desire(Self.state(recorders: [es], targets: before))
        var after = before.enumerated().filter { $0.offset % 10 != 0 }.map { index, target in
            index % 10 == 5 ? Self.target("api", target.0.endpoint, interval: .seconds(5), recorders: ["es"]) : target
        }
        let added = (1000..<1100).map { Self.target("api", endpoint($0), recorders: ["es"]) }
        after += added
        let actions = reconciler.desire(Self.state(recorders: [es], targets: after))
        let removed = Set(stride(from: 0, to: 1000, by: 10).map { before[$0].0 })
        let changed = Set(stride(from: 5, to: 1000, by: 10).map { before[$0].0 })
        let stops = actions.compactMap { if case .stopTarget(let id) = $0 { id } else { nil } }
        let starts = actions.compactMap { if case .startTarget(let id, _) = $0 { id } else { nil } }
        #expect(Set(stops) == removed.union(changed))
        #expect(stops.count == 200)
        #expect(Set(starts) == Set(added.map(\.0)))
        #expect(actions.count == 300)
        // End them in reverse order.
        for id in stops.reversed() {
            let next = reconciler.stopped(.target(id))
            if changed.contains(id) {
                let wanted = after.first { $0.0 == id }!
                #expect(next == [.startTarget(id, wanted.1)])
            } else {
                #expect(next.isEmpty, "removed \(id) came back: \(next)")
            }
        }
        #expect(reconciler.isSettled)
        #expect(reconciler.running == Self.state(recorders: [es], targets: after))
    }

    /// A recorder change waits for the last of many stopping targets that feed it, not the first.
    @Test func aChangedRecorderStopsOnlyOnceItsLastFeederEnded() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2, a3]))
        let moved = Self.recorder("es", path: "/tmp/elsewhere")
        let actions = reconciler.desire(Self.state(recorders: [moved], targets: [a1, a2, a3]))
        #expect(Self.names(actions) == ["stop \(a1.0)", "stop \(a2.0)", "stop \(a3.0)"])
        #expect(reconciler.stopped(.target(a2.0)).isEmpty)
        #expect(reconciler.stopped(.target(a1.0)).isEmpty)
        #expect(Self.names(reconciler.stopped(.target(a3.0))) == ["stop recorder es"])
        #expect(
            Self.names(reconciler.stopped(.recorder("es"))) == [
                "start recorder es", "start \(a1.0)", "start \(a2.0)", "start \(a3.0)",
            ])
        #expect(reconciler.isSettled)
    }

    /// A target that ends while its recorder waits for its other feeders to end does not start
    /// again, not even a new target of that recorder: both start once the new recorder runs.
    @Test func targetsOfARecorderBeingReplacedStartOnlyWithTheNewRecorder() {
        var reconciler = Reconciler()
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2]))
        let moved = Self.recorder("es", path: "/tmp/elsewhere")
        let actions = reconciler.desire(Self.state(recorders: [moved], targets: [a1, a2, a3]))
        #expect(Self.names(actions) == ["stop \(a1.0)", "stop \(a2.0)"])
        #expect(reconciler.stopped(.target(a1.0)).isEmpty)
        #expect(Self.names(reconciler.stopped(.target(a2.0))) == ["stop recorder es"])
        #expect(
            Self.names(reconciler.stopped(.recorder("es"))) == [
                "start recorder es", "start \(a1.0)", "start \(a2.0)", "start \(a3.0)",
            ])
        #expect(reconciler.isSettled)
    }

    /// Each desired state handed in, whole or as a change of targets, is a new generation; an
    /// ended component is not.
    @Test func desiredGenerationCountsDesiredStates() {
        var reconciler = Reconciler()
        #expect(reconciler.desiredGeneration == 0)
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1, a2]))
        #expect(reconciler.desiredGeneration == 1)
        _ = reconciler.desire(Self.state(recorders: [Self.recorder("es")], targets: [a1]), changed: [a2.0])
        #expect(reconciler.desiredGeneration == 2)
        _ = reconciler.stopped(.target(a2.0))
        #expect(reconciler.desiredGeneration == 2)
    }
}
