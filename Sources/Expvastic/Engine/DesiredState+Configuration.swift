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
        var builder = DesiredStateBuilder()
        let invalid = builder.build(configuration: configuration, discovered: discovered)
        return (builder.state, invalid)
    }
}
