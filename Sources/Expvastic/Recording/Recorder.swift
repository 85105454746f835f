import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Stores documents somewhere (Elasticsearch, a file). Runs as a ``Service``; engines hand it
/// documents with ``accept(_:)``, which never waits on I/O.
public protocol Recorder: Service {
    /// The recorder's name from the configuration.
    var name: String { get }
    /// Queues a document. Never blocks: when the in-memory queue is full the document goes to
    /// the recorder's overflow (the spool), and that is counted.
    func accept(_ document: Document)
    /// Stops taking documents, sends what it can before `deadline` (monotonic nanoseconds of the
    /// recorder's clock), keeps the rest durable (spool), and returns. `run()` returns after this.
    func finish(deadline: UInt64) async
    /// What it is doing now, for the status page and `/healthz`. Cheap and non-blocking: called on the
    /// monitoring server's thread.
    var status: RecorderStatus { get }
}

extension Recorder {
    /// A recorder that does not say more is reported as connected with its name.
    public var status: RecorderStatus { RecorderStatus(name: name, kind: "other") }
}
