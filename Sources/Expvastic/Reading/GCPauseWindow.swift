import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Which entries of a Go GC pause ring are new since the previous poll.
///
/// Go's `MemStats.PauseNs` and `PauseEnd` are rings of 256 entries: the pause of the g-th GC
/// (g counted from 1) is at index `(g - 1) % 256`, and `NumGC` is the number of GCs so far.
///
/// - First poll (`previous == nil`): nothing is new. Reporting every GC since the process started
///   would put a spike on the dashboards the moment Expvastic (re)starts; `count` is 0.
/// - `NumGC` went down: the process restarted, so all of its `NumGC` GCs are new.
/// - More GCs than the ring holds happened since the previous poll: `count` is still the true number
///   of new GCs, but only the last `ringSize` of them are available (`first...last`), so
///   `available < count` tells that pauses were lost.
package struct GCPauseWindow: Equatable {
    /// True number of GCs since the previous poll.
    package var count: UInt64
    /// GC numbers of the available new pauses, oldest first; empty when none.
    package var gcNumbers: ClosedRange<UInt64>?

    /// How many new pauses can be read from the ring.
    package var available: Int { gcNumbers.map { Int($0.upperBound - $0.lowerBound + 1) } ?? 0 }

    package init(numGC: UInt64, previous: UInt64?, ringSize: Int) {
        guard let previous else {
            self.count = 0
            self.gcNumbers = nil
            return
        }
        let since = numGC >= previous ? previous : 0
        count = numGC - since
        guard count > 0, ringSize > 0 else {
            gcNumbers = nil
            return
        }
        let oldestAvailable = numGC >= UInt64(ringSize) ? numGC - UInt64(ringSize) + 1 : 1
        gcNumbers = max(since + 1, oldestAvailable)...numGC
    }

    /// The ring index holding GC number `gc`.
    package static func index(ofGC gc: UInt64, ringSize: Int) -> Int {
        Int((gc - 1) % UInt64(ringSize))
    }
}
