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
        private static let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
        public private(set) var value: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d

        public init() {}

        public mutating func add<S: Sequence<UInt8>>(_ bytes: S) {
            for byte in bytes {
                value ^= UInt128(byte)
                value = value &* FNV128.prime
            }
        }

        public mutating func add(_ text: String) { add(text.utf8) }

        /// Adds one separator byte (0xFF or 0xFE: never part of UTF-8).
        public mutating func separate(_ byte: UInt8 = 0xFF) { add(CollectionOfOne(byte)) }

        public var hex: String {
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var out = [UInt8](repeating: 0, count: 32)
            var rest = value
            for index in stride(from: 31, through: 0, by: -1) {
                out[index] = digits[Int(rest & 15)]
                rest >>= 4
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
