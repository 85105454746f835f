/// Polls `condition` every `interval` until it returns `true`, and throws a `.timeout` error naming
/// `what` (and the last error the condition threw, if any) when `timeout` passes first.
///
/// For integration tests against real processes, where there is no clock to advance. Errors thrown by
/// the condition count as "not yet" (a server that is still starting refuses connections). Bounded
/// by `timeout`, provided the condition itself returns.
public func eventually(
    _ what: String = "condition",
    timeout: Duration = .seconds(5),
    interval: Duration = .milliseconds(25),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    _ = try await eventuallyValue(what, timeout: timeout, interval: interval) { () async throws -> Bool? in
        try await condition() ? true : nil
    }
}

/// Polls `produce` every `interval` until it returns a value, and returns it; throws a `.timeout`
/// error naming `what` when `timeout` passes first. Errors thrown by `produce` count as "not yet".
public func eventuallyValue<Value>(
    _ what: String = "value",
    timeout: Duration = .seconds(5),
    interval: Duration = .milliseconds(25),
    isolation: isolated (any Actor)? = #isolation,
    _ produce: () async throws -> Value?
) async throws -> Value {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var attempts = 0
    var lastError: (any Error)?
    while true {
        attempts += 1
        do {
            if let value = try await produce() { return value }
            lastError = nil
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            lastError = error
        }
        if clock.now >= deadline { break }
        try await Task.sleep(for: min(interval, deadline - clock.now))
    }
    let reason = lastError.map { "; last error: \($0)" } ?? ""
    throw TestSupportError(.timeout, "\(what) did not hold within \(timeout) (\(attempts) attempts)\(reason)")
}
