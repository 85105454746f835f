import Dispatch

/// Runs blocking work (file writes, `fsync`, spool segments) one job at a time on a serial
/// dispatch queue of its own, and lets an async caller await the result.
///
/// Swift's cooperative pool has one thread per core (two on a small machine). A 10 ms `fsync` on one
/// of them stalls every other task for 10 ms — pollers miss their schedule, HTTP timeouts fire late.
/// A serial queue runs on libdispatch's overcommit threads, which are added when needed instead of
/// being capped at the core count, so waiting on the disk here costs the pool nothing.
///
/// Jobs run in submission order, never two at once, so one executor also serializes access to the
/// files it is used for. A recorder owns one (its initializer creates it unless one is passed in).
///
/// ```swift
/// let io = BlockingExecutor(label: "expvastic.recorder.es")
/// try await io.run { () throws(SpoolError) in try spool.append(documents) }
/// ```
public final class BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    /// - Parameter label: names the queue (and its thread in debuggers and `perf`).
    public init(label: String = "expvastic.blocking") {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the executor's queue after the jobs submitted before it, suspends the caller
    /// until it returns, and returns its result or rethrows its error.
    ///
    /// Not cancellable: once submitted, `body` runs to the end (half a write is worse than a late
    /// one), and the caller gets its outcome even if its task was cancelled meanwhile.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(E) -> T in try body() })
            }
        }
        return try result.get()
    }

    /// Queues `body` after the jobs submitted before it and returns at once: for work whose
    /// outcome nobody awaits (its own errors are its to report).
    public func submit(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
