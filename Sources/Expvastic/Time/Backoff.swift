/// Capped exponential backoff with jitter: the delay before retry number `attempt` (1-based).
///
/// The ceiling doubles per attempt, `base · 2^(attempt−1)`, up to `cap`; the delay is the ceiling
/// scaled by `random(0.5...1.0)`, so concurrent retriers spread out but never retry at once.
/// Pure: tests pass a fixed `random`.
public func backoff(
    attempt: Int,
    base: Duration,
    cap: Duration,
    random: (ClosedRange<Double>) -> Double
) -> Duration {
    let exponent = min(max(attempt, 1) - 1, 62)
    let capSeconds = cap.seconds
    let ceiling = min(base.seconds * Double(1 << exponent), capSeconds)
    let factor = min(max(random(0.5...1.0), 0.5), 1.0)
    return .nanoseconds(Int64((ceiling * factor * 1e9).rounded()))
}
