import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

/// Documents per second per recorder, from the `documentsSent` totals of successive status requests:
/// the rate over the time since a baseline at least ``minimumSpan`` old; the baseline moves forward
/// once it is ``maximumSpan`` old, so the rate follows recent traffic. Recorders missing from an
/// observation are forgotten.
package final class RecorderRates: Sendable {
    package static let minimumSpan: Int64 = 1_000_000_000
    package static let maximumSpan: Int64 = 10_000_000_000

    private struct Entry {
        package var wallNanos: Int64
        package var sent: Int
        package var rate: Double?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Rates for the recorders of `snapshot` (nil until a baseline is old enough).
    package func observe(_ snapshot: StatusSnapshot) -> [String: Double] {
        entries.withLock { entries in
            var next: [String: Entry] = [:]
            var rates: [String: Double] = [:]
            for recorder in snapshot.recorders {
                var entry = entries[recorder.name] ?? Entry(wallNanos: snapshot.wallNanos, sent: recorder.documentsSent)
                let span = snapshot.wallNanos - entry.wallNanos
                if span >= Self.minimumSpan, recorder.documentsSent >= entry.sent {
                    entry.rate = Double(recorder.documentsSent - entry.sent) / (Double(span) / 1e9)
                    if span >= Self.maximumSpan {
                        entry.wallNanos = snapshot.wallNanos
                        entry.sent = recorder.documentsSent
                    }
                } else if recorder.documentsSent < entry.sent {
                    // A new recorder of the same name (reload): start over.
                    entry = Entry(wallNanos: snapshot.wallNanos, sent: recorder.documentsSent)
                }
                rates[recorder.name] = entry.rate
                next[recorder.name] = entry
            }
            entries = next
            return rates
        }
    }
}
