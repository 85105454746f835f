/// FNV-1a hashes that are the same in every process, on every machine and in every version (unlike
/// Swift's randomly seeded `Hasher`): poll phases, document ids and anything else that two
/// processes must agree on. Fields are separated by bytes that never occur in UTF-8 (0xFF, 0xFE),
/// so the encoding of several strings is unambiguous.
public enum StableHash {
    /// 64-bit FNV-1a over `parts` joined by 0xFF, with the high bits mixed down (so short inputs spread
    /// over the low bits as well as long ones).
    public static func mixed64(_ parts: String...) -> UInt64 {
        mixed64(parts)
    }

    public static func mixed64(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (index, part) in parts.enumerated() {
            if index > 0 { hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01b3 }
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        return hash
    }

    /// MurmurHash3's 64-bit finalizer: a bijection whose every output bit depends on every input
    /// bit, for combining hashes that are already stable (rendezvous weights).
    public static func mix(_ value: UInt64) -> UInt64 {
        var value = value
        value ^= value >> 33
        value = value &* 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        value = value &* 0xc4ce_b9fe_1a85_ec53
        value ^= value >> 33
        return value
    }

    /// 128-bit FNV-1a, fed incrementally; ``hex`` renders it as 32 lower-case hex digits.
    public struct FNV128: Sendable {
        /// 2^88 + 0x13B; see ``step(_:_:)``.
        package static let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
        public private(set) var value: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d

        public init() {}

        public mutating func add<S: Sequence<UInt8>>(_ bytes: S) {
            var hash = value
            for byte in bytes { hash = Self.step(hash, byte) }
            value = hash
        }

        /// The same as ``add(_:)`` over raw bytes, without the generic iteration.
        public mutating func add(bytes: UnsafeRawBufferPointer) {
            var hash = value
            for byte in bytes { hash = Self.step(hash, byte) }
            value = hash
        }

        /// Adds the decimal digits of `number` (with a `-` when negative), as `add(String(number))` would.
        public mutating func add(decimal number: Int64) {
            if number < 0 { add(CollectionOfOne(UInt8(ascii: "-"))) }
            add(decimal: number.magnitude)
        }

        /// Adds the decimal digits of `number`, as `add(String(number))` would.
        public mutating func add(decimal number: UInt64) {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
                var rest = number
                var start = 20
                repeat {
                    start -= 1
                    buffer[start] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
                    rest /= 10
                } while rest > 0
                add(bytes: UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: 20 - start))
            }
        }

        /// One FNV-1a step. The prime is 2^88 + 0x13B, so the product is a shift and a small
        /// multiplication (the same value modulo 2^128 as the full 128-bit multiplication, in fewer
        /// instructions: the ids of every version stay the same).
        @inline(__always) package static func step(_ hash: UInt128, _ byte: UInt8) -> UInt128 {
            let mixed = hash ^ UInt128(byte)
            return (mixed &* 0x13B) &+ (mixed &<< 88)
        }

        public mutating func add(_ text: String) { add(text.utf8) }

        /// Adds one separator byte (0xFF or 0xFE: never part of UTF-8).
        public mutating func separate(_ byte: UInt8 = 0xFF) { add(CollectionOfOne(byte)) }

        public var hex: String {
            let high = UInt64(truncatingIfNeeded: value >> 64)
            let low = UInt64(truncatingIfNeeded: value)
            return String(unsafeUninitializedCapacity: 32) { buffer in
                func digit(_ nibble: UInt64) -> UInt8 {
                    let n = UInt8(truncatingIfNeeded: nibble)
                    return n < 10 ? n &+ 0x30 : n &+ 0x57
                }
                for index in 0..<16 {
                    buffer[index] = digit((high >> UInt64(60 - 4 * index)) & 15)
                    buffer[16 + index] = digit((low >> UInt64(60 - 4 * index)) & 15)
                }
                return 32
            }
        }
    }
}
