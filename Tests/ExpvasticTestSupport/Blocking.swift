import Foundation

/// Keeps blocking work off Swift's cooperative thread pool.
///
/// The pool has one thread per core — two on the machines these tests run on — and every parallel
/// test shares it. A test that sleeps, waits for a child process, `fsync`s or computes for a second
/// on a pool thread stalls every other test's continuations, and timing assertions elsewhere fail
/// (libdispatch notices a blocked pool thread only after about a second). Blocking work belongs on
/// threads of its own:
///
/// - ``run(_:)`` for one blocking call that produces a value (a socket client, a child process,
///   a file read): the result comes back to the task; keep `#expect` outside the closure.
/// - ``onBackgroundThreads(_:)`` for a whole test body that blocks or computes throughout: it stays
///   one task (task locals, so `#expect` reports to the right test), executed by one of two shared
///   background threads.
public enum Blocking {
    /// Runs `body` on a new thread and suspends until it returns; returns its result or rethrows
    /// its error. The thread ends with `body`.
    ///
    /// Not cancellable: `body` runs to the end even if the task is cancelled, so give blocking calls
    /// their own timeouts. Issues recorded inside `body` (`#expect`) are not attributed to the
    /// current test: return values and assert on them after `run` returns.
    public static func run<T: Sendable, E: Error>(
        _ body: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(E) -> T in try body() })
            }
            thread.name = "test.blocking"
            thread.start()
        }
        return try result.get()
    }

    /// Runs `body` with the test support's background threads as the preferred task executor: its
    /// synchronous code (and that of the child tasks it creates) runs there instead of on the
    /// cooperative pool, while it remains the same task — task locals, cancellation and test
    /// attribution of `#expect` work as usual.
    ///
    /// For tests whose body blocks (files with `fsync`) or computes for long (randomized
    /// workloads): wrap the body, `try await Blocking.onBackgroundThreads { ... }`. There are two
    /// background threads shared by all such tests, so the work queues there instead of crowding
    /// the CPU; `body` must not block waiting for another task (it may `await` one).
    public static func onBackgroundThreads<T: Sendable, E: Error>(
        _ body: () async throws(E) -> T
    ) async throws(E) -> T {
        try await withTaskExecutorPreference(ThreadTaskExecutor.background, operation: body)
    }
}
