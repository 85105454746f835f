/// A long-running part of the process (an engine, a recorder, the monitoring server).
///
/// All services run as children of one task group; `run()` returns or throws when the task is
/// cancelled or the service has nothing more to do.
public protocol Service: Sendable {
    func run() async throws
}
