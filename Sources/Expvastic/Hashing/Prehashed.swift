/// A dictionary or set key whose hash is computed once, when it is made.
///
/// Why: Swift's hash tables hash a key again whenever they move it — when they grow, and when a
/// removal shifts the keys after it — and a key of several strings (a metric series' name and
/// labels, with a 40-byte endpoint) costs about as much to hash as everything else the table does.
/// With 40,000 series, removing the series of 1,000 targets spent most of its time rehashing
/// their neighbours. Equal values have equal hashes (one process-seeded `Hasher`), so comparing
/// the stored hashes first is only a shortcut.
///
/// A table asks for the stored hash mixed with its own seed (``_rawHashValue(seed:)``), not
/// through a `Hasher`: seeding a `Hasher` for every lookup, insertion and move was most of what
/// these tables cost (`target-churn-10000`).
public struct Prehashed<Value: Hashable>: Hashable {
    public let value: Value
    public let hash: Int

    @inlinable public init(_ value: Value) {
        self.value = value
        self.hash = value.hashValue
    }

    /// `hash` must be `value.hashValue`, computed earlier (a label hashed once for several series).
    @inlinable public init(_ value: Value, hash: Int) {
        self.value = value
        self.hash = hash
    }

    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    @inlinable public func _rawHashValue(seed: Int) -> Int { PrehashMix.mix(hash, seed: seed) }

    @inlinable public static func == (lhs: Prehashed, rhs: Prehashed) -> Bool {
        lhs.hash == rhs.hash && lhs.value == rhs.value
    }
}

extension Prehashed: Sendable where Value: Sendable {}

/// Mixes a hash computed earlier (by a process-seeded `Hasher`, so not predictable from outside)
/// with a hash table's seed, and combines such hashes, without a `Hasher`.
public enum PrehashMix {
    /// MurmurHash3's 64-bit finalizer of `hash ^ seed`: a bijection whose every output bit depends
    /// on every input bit, so a table's buckets (the low bits) spread even when hashes differ only
    /// in their high bits, and tables with different seeds order the same keys differently.
    @inlinable public static func mix(_ hash: Int, seed: Int) -> Int {
        var x = UInt64(bitPattern: Int64(hash ^ seed))
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return Int(truncatingIfNeeded: x)
    }

    /// One hash of the ordered pair (`first`, `second`): `combine(a, b) != combine(b, a)` in general.
    @inlinable public static func combine(_ first: Int, _ second: Int) -> Int {
        mix(first &* 0x9E37_79B9 &+ (first >> 7), seed: second)
    }
}
