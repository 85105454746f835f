import ExpvasticBase

/// A parsed JSON document as a flat array of nodes in document order ("tape"), built by
/// ``JSONScanner``. Containers store the index just past their last descendant, so a consumer can
/// skip a whole subtree in O(1). Strings without escapes point into the source bytes; strings with
/// escapes are decoded into ``arena``. Reused across parses: its storage keeps its capacity.
public struct JSONTape {
    package init() {}

    public enum Kind: UInt8, Sendable {
        case object, array, key, string, int, uint, double, nonFinite, bool, null

        /// Written out and inlinable: the layers above compare kinds per node, and the optimizer
        /// inlines across targets only what is public (a `package` function stays a call: the
        /// flattener cost 10 % more instructions per document that way).
        @inlinable @inline(__always)
        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            unsafeBitCast(lhs, to: UInt8.self) == unsafeBitCast(rhs, to: UInt8.self)
        }
    }

    /// 16 bytes (a string's offset shares the payload), so the scanner writes two words per node.
    public struct Node {
        public var kind: Kind
        /// Strings and keys: the bytes are in ``JSONTape/arena`` (decoded), not in the source.
        public var decoded: Bool = false
        /// Containers: number of members/elements. Strings and keys: byte length.
        public var count: UInt32 = 0
        /// Containers: index of the node after the container's last descendant. `int`: Int64 bits,
        /// `uint`: UInt64 (> Int64.max), `double`: Double bits, `bool`: 0 or 1,
        /// `nonFinite`: 0 `+Inf`, 1 `-Inf`, 2 `NaN`. Strings and keys: ``start``.
        public var payload: UInt64 = 0

        @inlinable
        public init(kind: Kind, decoded: Bool = false, count: UInt32 = 0, payload: UInt64 = 0) {
            self.kind = kind
            self.decoded = decoded
            self.count = count
            self.payload = payload
        }

        @inlinable
        public init(kind: Kind, decoded: Bool = false, count: UInt32, start: UInt32) {
            self.init(kind: kind, decoded: decoded, count: count, payload: UInt64(start))
        }

        /// Strings and keys: byte offset in the source or arena.
        @inlinable public var start: UInt32 { UInt32(truncatingIfNeeded: payload) }
        @inlinable public var int: Int64 { Int64(bitPattern: payload) }
        @inlinable public var double: Double { Double(bitPattern: payload) }
        /// For containers: where the next sibling starts.
        @inlinable public var end: Int { Int(truncatingIfNeeded: payload) }
    }

    /// Owns the node memory; written through raw pointers by the scanner (no per-node
    /// uniqueness or capacity checks beyond one comparison).
    package final class Storage {
        private(set) package var base: UnsafeMutablePointer<Node>
        private(set) package var capacity: Int

        package init(capacity: Int = 1024) {
            self.capacity = capacity
            self.base = .allocate(capacity: capacity)
        }

        /// Doubles the capacity, keeping the first `count` nodes.
        package func grow(keeping count: Int) {
            let bigger = UnsafeMutablePointer<Node>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }

        deinit { base.deallocate() }
    }

    package let storage = Storage()
    /// Number of nodes written.
    package var count = 0
    package var arena: [UInt8] = []

    /// The nodes; valid until the next parse into this tape.
    package var nodes: UnsafeBufferPointer<Node> { UnsafeBufferPointer(start: storage.base, count: count) }

    package mutating func reset() {
        count = 0
        arena.removeAll(keepingCapacity: true)
    }
}
