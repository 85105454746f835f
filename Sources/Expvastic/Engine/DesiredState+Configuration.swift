import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// What a configuration (plus what the discovery sources found) asks to run.
extension DesiredState {
    /// The routed recorders, and one target per routed reader with an `endpoint` (or a self
    /// reader) plus one per address discovered for each routed job. The same address found twice
    /// for one job is one target (the first one's labels win).
    ///
    /// - Parameter discovered: per job (reader name), the targets of all its sources, in source order.
    public init(configuration: Configuration, discovered: [String: [DiscoveredTarget]] = [:]) {
        self = DesiredState.make(configuration: configuration, discovered: discovered).state
    }

    /// The state, and the discovered addresses that are not valid endpoints (`job: address`), which
    /// are skipped.
    public static func make(
        configuration: Configuration, discovered: [String: [DiscoveredTarget]]
    ) -> (state: DesiredState, invalid: [String]) {
        var recorders: [String: Recorder] = [:]
        var targets: [TargetID: Target] = [:]
        var invalid: [String] = []
        let level = configuration.settings.logLevel
        for entry in Plan(configuration: configuration).engines {
            guard let reader = configuration.reader(named: entry.reader) else { continue }
            for name in entry.recorders where recorders[name] == nil {
                guard let recorder = configuration.recorder(named: name) else { continue }
                recorders[name] = Recorder(configuration: recorder, logLevel: recorder.logLevel ?? level)
            }
            let logLevel = reader.logLevel ?? level
            guard !reader.targets.isEmpty else {
                let id = TargetID(reader: reader.name, endpoint: reader.url?.description ?? "self")
                targets[id] = Target(reader: reader, recorders: entry.recorders, logLevel: logLevel)
                continue
            }
            var job = reader
            job.targets = []
            for found in discovered[reader.name] ?? [] {
                guard let url = ReaderConfiguration.targetURL(of: found.address, routePath: reader.routePath) else {
                    invalid.append("\(reader.name): \(found.address)")
                    continue
                }
                let id = TargetID(reader: reader.name, endpoint: url.description)
                guard targets[id] == nil else { continue }
                var target = job
                target.url = url
                target.labels = found.labels
                targets[id] = Target(reader: target, recorders: entry.recorders, logLevel: logLevel, discovered: true)
            }
        }
        return (DesiredState(recorders: recorders, targets: targets), invalid)
    }
}
