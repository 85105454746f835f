import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Turns (what runs, what should run) into start and stop actions: a pure state machine with no
/// I/O, driven by the ``Shipper``. Every desired state (a reload, a discovery refresh, later a pool
/// assignment) goes through ``desire(_:)``; every component that has ended comes back through
/// ``stopped(_:)``.
///
/// - A target whose settings (or recorder list, or one of whose recorders) changed is stopped and
///   started again; every other target keeps running, and so keeps its schedule.
/// - A recorder that changed or is no longer wanted is stopped only once every engine that feeds it
///   has ended (so an engine never feeds a recorder that is finishing), and its replacement starts
///   only once it has ended (so an old and a new recorder never share a file or a spool directory);
///   the engines that feed it start again after that.
/// - A target that is still stopping is not started again until it has ended.
/// - A new desired state may arrive at any time, also while a previous one is still stopping: it
///   replaces the previous one, and nothing is stopped twice.
public struct Reconciler: Sendable, Equatable {
    /// A component the shell runs.
    public enum Component: Hashable, Sendable {
        case recorder(String)
        case target(TargetID)
    }

    /// What the shell should do, in order.
    public enum Action: Sendable, Equatable {
        case startRecorder(String, DesiredState.Recorder)
        case startTarget(TargetID, DesiredState.Target)
        /// Stop polling; the poll in flight (if any) is still delivered. Report ``stopped(_:)`` once it ended.
        case stopTarget(TargetID)
        /// Flush and stop; report ``stopped(_:)`` once it ended.
        case stopRecorder(String)
    }

    /// Started and not asked to stop.
    public private(set) var running = DesiredState.empty
    /// The latest desired state.
    public private(set) var desired = DesiredState.empty
    /// How many desired states were handed in: what the shell derives from ``desired`` (e.g. which
    /// readers are wanted) stays valid while this does not change.
    public private(set) var desiredGeneration = 0
    /// Targets asked to stop that have not ended, with the recorders they feed.
    private var stoppingTargets: [TargetID: [String]] = [:]
    /// How many of `stoppingTargets` feed each recorder (a recorder stops once none does).
    private var feeders: [String: Int] = [:]
    /// Recorders asked to stop that have not ended.
    private var stoppingRecorders: Set<String> = []

    public init() {}

    /// Nothing runs and nothing is stopping.
    public var isIdle: Bool {
        running == .empty && stoppingTargets.isEmpty && stoppingRecorders.isEmpty
    }

    /// Everything desired runs, and nothing else runs or is stopping.
    public var isSettled: Bool {
        running == desired && stoppingTargets.isEmpty && stoppingRecorders.isEmpty
    }

    /// Components asked to stop that have not ended yet.
    public var stopping: Set<Component> {
        Set(stoppingTargets.keys.map(Component.target)).union(stoppingRecorders.map(Component.recorder))
    }

    /// Makes `state` the desired one and returns what to do now.
    public mutating func desire(_ state: DesiredState) -> [Action] {
        desired = state
        desiredGeneration += 1
        return step(.everything)
    }

    /// Makes `state` the desired one, which differs from the current one only in the targets
    /// `changed` names (the recorders, and every other target, are the same: one job's discovery
    /// answered; see ``DesiredStateBuilder``), and returns what to do now: the same actions as
    /// ``desire(_:)`` would, found by looking at those targets alone, so a change of 10 targets
    /// among 10,000 costs as much as among 10.
    public mutating func desire(_ state: DesiredState, changed: Set<TargetID>) -> [Action] {
        precondition(state.recorders == desired.recorders, "a change of recorders needs desire(_:)")
        desired = state
        desiredGeneration += 1
        return step(.targets(changed))
    }

    /// `component` (asked to stop earlier) has ended; returns what can happen now.
    public mutating func stopped(_ component: Component) -> [Action] {
        switch component {
        case .target(let id):
            return stopped(targets: [id])
        case .recorder(let name):
            precondition(stoppingRecorders.contains(name), "recorder \(name) was not stopping")
            stoppingRecorders.remove(name)
            return step(.everything)
        }
    }

    /// The targets `ids` (each asked to stop earlier) have ended; returns what can happen now: the
    /// same actions as reporting them one at a time with ``stopped(_:)``, in one step (10,000
    /// engines that were waiting for their next tick end the moment they are stopped).
    public mutating func stopped(targets ids: [TargetID]) -> [Action] {
        // Counted per recorder list, as in `step`: a job's targets share one.
        var ended = RecorderLists<Int>()
        for id in ids {
            guard let recorders = stoppingTargets.removeValue(forKey: id) else {
                preconditionFailure("\(id) was not stopping")
            }
            ended.add(recorders)
        }
        for (recorders, count) in ended.runs {
            for name in recorders {
                let left = feeders[name, default: count] - count
                feeders[name] = left > 0 ? left : nil
            }
        }
        return step(.ended(ids))
    }

    /// Which targets a step looks at.
    private enum Scope {
        /// All of them (a new desired state, a recorder that ended).
        case everything
        /// Targets that have just ended. Only those targets can have become startable then, and no
        /// running target can have to stop (after every step each running target equals its desired
        /// one and feeds only unchanged recorders, and neither `desired` nor a recorder's settings
        /// change when a target ends), so the step looks at those targets alone instead of all of
        /// them: ending N targets costs O(N), not O(N²).
        case ended([TargetID])
        /// The targets of a new desired state that differ from the previous one. No other target can
        /// have to stop (it equals its desired one, as above) or have become startable: a target
        /// that was not ready waits for a recorder, and after every step each desired recorder runs
        /// or is stopping, so none starts in this step.
        case targets(Set<TargetID>)
    }

    private mutating func step(_ scope: Scope) -> [Action] {
        var actions: [Action] = []
        // Without building a dictionary and a set per step: a target that ends after its poll in
        // flight is a step of its own, and 10,000 may be polling.
        var changedRecorders: Set<String> = []
        for (name, recorder) in running.recorders where desired.recorders[name] != recorder {
            changedRecorders.insert(name)
        }
        // The recorder lists of the targets stopped, counted per list: a job's targets share one
        // list, and hashing its names for each of 10,000 targets cost more than the rest.
        var stoppedFeeders = RecorderLists<Int>()
        // The named targets, sorted once (for the stops and the starts).
        let named: [TargetID]? = if case .targets(let ids) = scope { TargetID.sorted(ids) } else { nil }
        let mayStop: [TargetID]? =
            switch scope {
            case .everything: TargetID.sorted(running.targets.keys)
            case .ended: nil
            case .targets: named!
            }
        // Looked up as it goes (a target not running is skipped): stopping one never changes
        // whether another runs.
        for id in mayStop ?? [] {
            guard let target = running.targets[id] else { continue }
            guard
                desired.targets[id] != target
                    || (!changedRecorders.isEmpty && target.recorders.contains(where: changedRecorders.contains))
            else { continue }
            running.targets[id] = nil
            stoppingTargets[id] = target.recorders
            stoppedFeeders.add(target.recorders)
            actions.append(.stopTarget(id))
        }
        for (recorders, count) in stoppedFeeders.runs {
            for name in recorders { feeders[name, default: 0] += count }
        }
        for name in changedRecorders.sorted() where feeders[name] == nil {
            running.recorders[name] = nil
            stoppingRecorders.insert(name)
            actions.append(.stopRecorder(name))
        }
        for name in desired.recorders.keys.sorted()
        where running.recorders[name] == nil && !stoppingRecorders.contains(name) {
            let recorder = desired.recorders[name]!
            running.recorders[name] = recorder
            actions.append(.startRecorder(name, recorder))
        }
        let candidates: [TargetID] =
            switch scope {
            case .everything: TargetID.sorted(desired.targets.keys)
            case .ended(let ids): ids
            case .targets: named!
            }
        // A recorder runs with its desired settings when it runs and was not found changed above
        // (the changed ones still run only while they wait for their feeders; the ones started
        // above run with their desired settings).
        func ready(_ name: String) -> Bool { running.recorders[name] != nil && !changedRecorders.contains(name) }
        // Per recorder list, as above (nothing below changes what `ready` answers).
        var readyLists = RecorderLists<Bool>()
        func allReady(_ recorders: [String]) -> Bool {
            if let known = readyLists.value(of: recorders) { return known }
            let answer = recorders.allSatisfy(ready)
            readyLists.runs.append((recorders, answer))
            return answer
        }
        // The desired table first: a target that went (half of an answer that replaces all) is
        // settled by one lookup.
        for id in candidates {
            guard let target = desired.targets[id], running.targets[id] == nil, stoppingTargets[id] == nil,
                allReady(target.recorders)
            else { continue }
            running.targets[id] = target
            actions.append(.startTarget(id, target))
        }
        return actions
    }
}

/// Values per recorder list, for the few distinct lists among many targets (a job's targets share
/// one list, so comparing with the last one found is usually a pointer comparison).
private struct RecorderLists<Value> {
    var runs: [(recorders: [String], value: Value)] = []

    func value(of recorders: [String]) -> Value? {
        for run in runs.reversed() where run.recorders == recorders { return run.value }
        return nil
    }
}

extension RecorderLists where Value == Int {
    /// Counts one more target with `recorders`.
    mutating func add(_ recorders: [String]) {
        // From the last run back: a job's targets come one after the other.
        if let index = runs.lastIndex(where: { $0.recorders == recorders }) {
            runs[index].value += 1
        } else {
            runs.append((recorders, 1))
        }
    }
}
