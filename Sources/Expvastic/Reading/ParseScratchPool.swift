import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// Parse buffers (scanner stack, tape, document scratch) that readers borrow for one poll instead of
/// each keeping its own.
///
/// A reader's buffers grow to fit its largest body (a 4 KB Go page needs about 35 KB of tape and
/// scratch), and a poll only needs them while it parses; with 1,000 readers per-reader buffers cost
/// ~35 MB and keep the hot loop's working set far larger than the caches. A pool with one slot per
/// core serves every reader of a process: polls run on Swift's cooperative threads (one per core),
/// so a free slot is almost always there, and when none is the poll waits for one (a parse takes
/// tens of microseconds). What a reader must remember between polls (type stability, GC state, the
/// last field order) stays in the reader.
public final class ParseScratchPool: Sendable {
    package struct Scratch: ~Copyable {
        package var scanner = JSONScanner()
        package var tape = JSONTape()
        package var encoder = DocumentEncoder()
        /// A flattener's per-poll arrays (``Flattener/swapBuffers(_:)``).
        package var flattening = Flattener.Buffers()
    }

    package final class Slot: Sendable {
        package let scratch = Mutex(Scratch())
    }

    private let slots: [Slot]

    /// - Parameter slots: how many polls can parse at once without waiting; default one per core.
    public init(slots: Int = ProcessEnvironment.processorCount) {
        self.slots = (0..<max(1, slots)).map { _ in Slot() }
    }

    /// Runs `body` with a free slot's buffers (waiting for `preferred`'s slot when all are busy).
    package func withScratch<Result: Sendable>(preferred: Int, _ body: (inout Scratch) -> Result) -> Result {
        let first = preferred % slots.count
        for offset in 0..<slots.count {
            let slot = slots[(first + offset) % slots.count]
            if let result = slot.scratch.withLockIfAvailable({ scratch in body(&scratch) }) { return result }
        }
        return slots[first].scratch.withLock { scratch in body(&scratch) }
    }
}
