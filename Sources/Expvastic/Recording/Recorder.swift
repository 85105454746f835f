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
}
