import ExpvasticBase

/// What waits for a deadline on an ``EventLoop``: a sleeping task, resumed with `true` at its
/// deadline or with `CancellationError` when its task is cancelled; or a scheduled call, made at
/// its deadline on the loop thread (``EventLoop/schedule(atMonotonic:slack:_:)``).
package enum SleepWaiter: Sendable {
    case task(CheckedContinuation<Bool, any Error>)
    case call(@Sendable () -> Void)

    package func resume() {
        switch self {
        case .task(let continuation): continuation.resume(returning: true)
        case .call(let action): action()
        }
    }

    /// Ends a cancelled sleep; a cancelled call is simply not made.
    package func resume(throwing error: any Error) {
        if case .task(let continuation) = self { continuation.resume(throwing: error) }
    }
}
