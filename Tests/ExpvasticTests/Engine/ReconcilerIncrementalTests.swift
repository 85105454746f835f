import Expvastic
import ExpvasticTestSupport
import Testing

/// ``Reconciler/desire(_:changed:)`` (one job's answer: only the named targets differ) does what
/// ``Reconciler/desire(_:)`` does, whatever else is stopping or waiting at the time.
@Suite struct ReconcilerIncrementalTests {
    /// Two reconcilers driven by the same random events: one always gets the whole state, the other
    /// the changed targets when only targets changed. Events: a new answer (targets added,
    /// removed, re-labelled), a recorder change (both get the whole state), a stopping component
    /// that ends. Their actions must be the same at every event.
    @Test func randomChangesGiveTheSameActionsAsWholeStates() {
        var world = RandomDesires(seed: 1_019)
        var full = Reconciler()
        var incremental = Reconciler()
        var compared = (incremental: 0, ended: 0)
        // Start-up: the whole state (the recorders).
        #expect(full.desire(world.state) == incremental.desire(world.state))
        for _ in 0..<400 {
            switch world.random.next() % 10 {
            case 0:
                // A reload: both get the whole state.
                world.moveARecorder()
                #expect(full.desire(world.state) == incremental.desire(world.state))
            case 1, 2, 3:
                // A component that was asked to stop has ended (the same one for both).
                let stopping = full.stopping.sorted { "\($0)" < "\($1)" }
                #expect(stopping == incremental.stopping.sorted { "\($0)" < "\($1)" })
                guard !stopping.isEmpty else { continue }
                let component = stopping[Int(world.random.next() % UInt64(stopping.count))]
                #expect(full.stopped(component) == incremental.stopped(component))
                compared.ended += 1
            default:
                let changed = world.changeTargets(most: 4)
                #expect(full.desire(world.state) == incremental.desire(world.state, changed: changed))
                compared.incremental += 1
            }
            #expect(full.running == incremental.running)
        }
        #expect(compared.incremental > 100 && compared.ended > 50)
    }

    /// ``Reconciler/stopped(targets:)`` (engines that ended together) leaves the reconciler as
    /// reporting each with ``Reconciler/stopped(_:)`` does, and asks for the same actions.
    @Test func targetsEndedTogetherAreAsTargetsEndedOneByOne() {
        var world = RandomDesires(seed: 2_207)
        var single = Reconciler()
        var batched = Reconciler()
        var batches = 0
        func desire() { #expect(single.desire(world.state) == batched.desire(world.state)) }
        desire()
        for _ in 0..<300 {
            switch world.random.next() % 8 {
            case 0:
                world.moveARecorder()
                desire()
            case 1, 2:
                // Some of the stopping targets end together; a stopping recorder ends alone.
                var ended: [TargetID] = []
                for component in single.stopping.sorted(by: { "\($0)" < "\($1)" }) {
                    switch component {
                    case .target(let id) where world.random.next() % 3 != 0: ended.append(id)
                    case .recorder where world.random.next() % 4 == 0:
                        #expect(single.stopped(component) == batched.stopped(component))
                    default: continue
                    }
                }
                guard !ended.isEmpty else { continue }
                let oneByOne = ended.flatMap { single.stopped(.target($0)) }
                let together = batched.stopped(targets: ended)
                #expect(ReconcilerTests.names(oneByOne).sorted() == ReconcilerTests.names(together).sorted())
                batches += ended.count > 1 ? 1 : 0
            default:
                world.changeTargets(most: 6)
                desire()
            }
            #expect(single == batched)
        }
        #expect(batches > 20)
    }

    /// Only the named targets are looked at: a target that changed but is not named is left alone
    /// (the caller promises it did not change; this shows the promise is what is relied on).
    @Test func onlyTheNamedTargetsAreLookedAt() {
        var reconciler = Reconciler()
        let es = ReconcilerTests.recorder("es")
        let a1 = ReconcilerTests.target("api", "http://10.0.0.1:80/debug/vars", recorders: ["es"])
        let a2 = ReconcilerTests.target("api", "http://10.0.0.2:80/debug/vars", recorders: ["es"])
        let a3 = ReconcilerTests.target("api", "http://10.0.0.3:80/debug/vars", recorders: ["es"])
        _ = reconciler.desire(ReconcilerTests.state(recorders: [es], targets: [a1, a2]))
        let actions = reconciler.desire(ReconcilerTests.state(recorders: [es], targets: [a1, a3]), changed: [a3.0])
        #expect(ReconcilerTests.names(actions) == ["start \(a3.0)"])
        #expect(reconciler.running.targets.keys.sorted() == [a1.0, a2.0, a3.0])
    }
}

/// The desired states the random tests draw: recorders `es` and `file`, and up to 16 targets of job
/// `api`, each feeding one of them.
private struct RandomDesires {
    var random: SplitMix64
    var recorders = [ReconcilerTests.recorder("es"), ReconcilerTests.recorder("file")]
    var targets: [TargetID: DesiredState.Target] = [:]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    var state: DesiredState {
        DesiredState(
            recorders: Dictionary(uniqueKeysWithValues: recorders.map { ($0.configuration.name, $0) }),
            targets: targets)
    }

    /// A reload that moves one recorder's file.
    mutating func moveARecorder() {
        let index = Int(random.next() % 2)
        let name = recorders[index].configuration.name
        recorders[index] = ReconcilerTests.recorder(name, path: "/tmp/\(name)-\(random.next() % 3)")
    }

    /// A new answer: 1 to `most` targets added, removed or moved to the other recorder; returns
    /// their ids.
    @discardableResult mutating func changeTargets(most: UInt64) -> Set<TargetID> {
        var changed: Set<TargetID> = []
        for _ in 0..<(1 + random.next() % most) {
            let host = random.next() % 16
            let recorder = random.next() % 2 == 0 ? "es" : "file"
            let (id, target) = ReconcilerTests.target(
                "api", "http://10.0.0.\(host):80/debug/vars", recorders: [recorder])
            targets[id] = random.next() % 3 == 0 ? nil : target
            changed.insert(id)
        }
        return changed
    }
}
