/// A task sleeping on an ``EventLoop``: resumed with `true` at its deadline, or with
/// `CancellationError` when its task is cancelled.
struct SleepWaiter: Sendable {
    let continuation: CheckedContinuation<Bool, any Error>

    func resume() { continuation.resume(returning: true) }

    func resume(throwing error: any Error) { continuation.resume(throwing: error) }
}
