import Synchronization

/// The last poll outcome of every reader, for `/healthz`: a reader whose last poll failed is degraded.
final class ReaderHealth: Sendable {
    private let states = Mutex<[String: ComponentHealth]>([:])

    func record(_ event: Engine.PollEvent) {
        states.withLock { $0["reader.\(event.reader)"] = event.succeeded ? .ok : .degraded }
    }

    func snapshot() -> [String: ComponentHealth] { states.withLock { $0 } }
}
