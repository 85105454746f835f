import ExpvasticBase

/// One client connection, owned by the event loop thread (never shared).
package final class HTTPServerConnection {
    package enum Phase: Equatable {
        /// Waiting for the first byte of a request (fresh or keep-alive).
        case awaitingRequest
        /// Some bytes of a request head have arrived.
        case readingHead
        /// A response is being written; nothing is read meanwhile (no pipelining buffers pile up).
        case writing
        /// The error response is out and our side is shut down; discarding input until the client closes.
        case lingering
    }

    package let fd: Int32
    package var phase: Phase = .awaitingRequest
    package var input: [UInt8] = []
    package var output: [UInt8] = []
    package var outputOffset = 0
    /// Monotonic nanoseconds after which the current phase has taken too long.
    package var deadline: UInt64
    /// Monotonic nanoseconds of the last byte in or out, for choosing whom to evict.
    package var lastActivity: UInt64
    package var closeAfterWrite = false
    /// The `poll(2)` events wanted next.
    package var interest: Int16

    package init(fd: Int32, now: UInt64, deadline: UInt64, interest: Int16) {
        self.fd = fd
        self.deadline = deadline
        self.lastActivity = now
        self.interest = interest
    }

    /// Eviction preference at the connection limit: lower goes first; nil means never evict.
    package var evictionRank: Int? {
        switch phase {
        case .lingering: 0
        case .awaitingRequest: 1
        case .readingHead: 2
        case .writing: nil
        }
    }
}
