/// A hash that is the same in every process, on every machine and in every version (unlike
/// Swift's randomly seeded `Hasher`): for anything that must agree across restarts and between
/// shippers, such as a target's poll phase or a scratch slot.
public enum StableHash {
    /// FNV-1a 64 over the UTF-8 bytes of `text`, with the high bits mixed down (a SplitMix64
    /// finaliser step) so that short names spread as well as long ones.
    public static func of(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        return hash
    }
}
