/// A dictionary or set key whose hash is computed once, when it is made.
///
/// Why: Swift's hash tables hash a key again whenever they move it — when they grow, and when a
/// removal shifts the keys after it — and a key of several strings (a metric series' name and
/// labels, with a 40-byte endpoint) costs about as much to hash as everything else the table does.
/// With 40,000 series, removing the series of 1,000 targets spent most of its time rehashing
/// their neighbours. Equal values have equal hashes (one process-seeded `Hasher`), so comparing
/// the stored hashes first is only a shortcut.
public struct Prehashed<Value: Hashable>: Hashable {
    public let value: Value
    public let hash: Int

    @inlinable public init(_ value: Value) {
        self.value = value
        self.hash = value.hashValue
    }

    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    @inlinable public static func == (lhs: Prehashed, rhs: Prehashed) -> Bool {
        lhs.hash == rhs.hash && lhs.value == rhs.value
    }
}

extension Prehashed: Sendable where Value: Sendable {}
