import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Builds the ``DesiredState`` of a configuration and its discovered targets, and builds one job's
/// targets again when only that job's discovery answered: targets that did not change are kept as
/// they are (their addresses are not parsed again) and the ids that changed are returned, so the
/// ``Reconciler`` looks at those alone (``Reconciler/desire(_:changed:)``).
///
/// Why: at 10,000 targets, building the whole state again on every answer (parsing 10,000
/// addresses, copying 10,000 reader settings) and comparing it with the running one cost about
/// 60 ms of CPU per answer, even when one target changed.
public struct DesiredStateBuilder: Sendable {
    /// A valid address's target id and URL. A struct, not a tuple: an optional tuple in a table was
    /// copied through the runtime's generic tuple witnesses (~3 % of replacing 10,000 targets).
    private struct Made {
        let id: TargetID
        let url: Endpoint
    }

    /// What a job's discovered targets are made from.
    private struct Job: Sendable {
        /// The reader's settings, without `targets` (each target's are these with its URL and labels).
        var template: ReaderConfiguration
        var recorders: [String]
        var logLevel: LogLevel
        /// The ids of its targets in ``state``.
        var ids: Set<TargetID> = []
        /// Every address of the last answer: its target's id and URL, nil when it is not a valid endpoint.
        /// Keyed by the address hashed once: each address is looked up here, then stored in the next
        /// answer's table (hashing a 40-byte string each time cost more than the rest of the lookup).
        var addresses: [Prehashed<String>: Made?] = [:]
    }

    /// The state built so far.
    public private(set) var state = DesiredState()
    /// Routed readers with `targets:`, by name.
    private var jobs: [String: Job] = [:]

    public init() {}

    /// Builds everything from `configuration` and the targets `discovered` per job (in source order).
    /// Returns the discovered addresses that are not valid endpoints (`job: address`), which are skipped.
    @discardableResult
    public mutating func build(configuration: Configuration, discovered: [String: [DiscoveredTarget]]) -> [String] {
        state = DesiredState()
        jobs = [:]
        var invalid: [String] = []
        let level = configuration.settings.logLevel
        var readers: [String: ReaderConfiguration] = [:]
        for reader in configuration.readers where readers[reader.name] == nil { readers[reader.name] = reader }
        var recorders: [String: RecorderConfiguration] = [:]
        for recorder in configuration.recorders where recorders[recorder.name] == nil {
            recorders[recorder.name] = recorder
        }
        for entry in Plan(configuration: configuration).engines {
            guard let reader = readers[entry.reader] else { continue }
            for name in entry.recorders where state.recorders[name] == nil {
                guard let recorder = recorders[name] else { continue }
                state.recorders[name] = DesiredState.Recorder(
                    configuration: recorder, logLevel: recorder.logLevel ?? level)
            }
            let logLevel = reader.logLevel ?? level
            guard !reader.targets.isEmpty else {
                let id = TargetID(reader: reader.name, endpoint: reader.url?.description ?? "self")
                state.targets[id] = DesiredState.Target(reader: reader, recorders: entry.recorders, logLevel: logLevel)
                continue
            }
            var template = reader
            template.targets = []
            jobs[reader.name] = Job(template: template, recorders: entry.recorders, logLevel: logLevel)
            invalid += update(job: reader.name, discovered: discovered[reader.name] ?? []).invalid
        }
        return invalid
    }

    /// Makes `discovered` the targets of job `job` (a routed reader with `targets:`; any other name
    /// changes nothing). The same address found twice is one target (the first one's labels win).
    ///
    /// - Returns: the ids whose target appeared, went or changed (its labels), and the addresses that
    ///   are not valid endpoints (`job: address`), which are skipped.
    @discardableResult
    public mutating func update(job name: String, discovered: [DiscoveredTarget]) -> (
        changed: Set<TargetID>, invalid: [String]
    ) {
        guard var job = jobs.removeValue(forKey: name) else { return ([], []) }
        var invalid: [String] = []
        var changed: Set<TargetID> = []
        var ids: Set<TargetID> = []
        ids.reserveCapacity(discovered.count)
        var addresses: [Prehashed<String>: Made?] = [:]
        addresses.reserveCapacity(discovered.count)
        // Room for the answer at once (growing 10,000 entries rehashes them several times); only
        // when short, since reserving copies a table the reconciler shares even when nothing changes.
        if state.targets.capacity < state.targets.count + discovered.count {
            state.targets.reserveCapacity(state.targets.count + discovered.count)
        }
        for found in discovered {
            let address = Prehashed(found.address)
            let made: Made?
            // The last answer's first: an address is looked up once when it did not move.
            if let known = job.addresses[address] ?? addresses[address] {
                made = known
            } else {
                made = ReaderConfiguration.targetURL(of: found.address, routePath: job.template.routePath).map {
                    Made(id: TargetID(reader: name, endpoint: $0.description), url: $0)
                }
            }
            addresses[address] = made
            guard let id = made?.id, let url = made?.url else {
                invalid.append("\(name): \(found.address)")
                continue
            }
            guard ids.insert(id).inserted else { continue }
            if job.ids.contains(id), let kept = state.targets[id], kept.reader.labels == found.labels { continue }
            var reader = job.template
            reader.url = url
            reader.labels = found.labels
            state.targets[id] = DesiredState.Target(
                reader: reader, recorders: job.recorders, logLevel: job.logLevel, discovered: true)
            if changed.isEmpty { changed.reserveCapacity(discovered.count) }
            changed.insert(id)
        }
        var reserved = false
        for id in job.ids where !ids.contains(id) {
            // Every old target may have gone (a whole new answer): room for them at once.
            if !reserved {
                changed.reserveCapacity(changed.count + job.ids.count)
                reserved = true
            }
            state.targets[id] = nil
            changed.insert(id)
        }
        job.ids = ids
        job.addresses = addresses
        jobs[name] = job
        return (changed, invalid)
    }
}
