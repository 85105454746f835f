import ExpvasticBase

/// A task sleeping on an ``EventLoop``: resumed with `true` at its deadline, or with
/// `CancellationError` when its task is cancelled.
package struct SleepWaiter: Sendable {
    package let continuation: CheckedContinuation<Bool, any Error>

    package func resume() { continuation.resume(returning: true) }

    package func resume(throwing error: any Error) { continuation.resume(throwing: error) }
}
