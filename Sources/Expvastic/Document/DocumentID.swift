/// The deterministic `_id` of a document: 128-bit FNV-1a over (reader name, endpoint, entity key
/// when a poll yields one document per entity or label set, timestamp in milliseconds), rendered as
/// 32 lower-case hex digits. Stable across processes, machines and
/// versions (unlike Swift's randomly seeded `Hasher`), so a re-sent document is a duplicate that
/// Elasticsearch's `create` rejects instead of a second copy.
public enum DocumentID {
    private static let offsetBasis: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
    private static let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B

    /// The id for one poll of `reader` at `endpoint` started at `timestampMillis`; `entity` tells
    /// apart the documents of one poll (nil for the single document of an expvar or self poll, which
    /// keeps the ids of earlier versions).
    public static func make(reader: String, endpoint: String, entity: String? = nil, timestampMillis: Int64) -> String {
        var hash = offsetBasis
        func mix<S: Sequence<UInt8>>(_ bytes: S) {
            for byte in bytes {
                hash ^= UInt128(byte)
                hash = hash &* prime
            }
        }
        // 0xFF never occurs in UTF-8, so the separators make the encoding unambiguous.
        mix(reader.utf8)
        mix(CollectionOfOne(0xFF))
        mix(endpoint.utf8)
        mix(CollectionOfOne(0xFF))
        if let entity {
            mix(entity.utf8)
            mix(CollectionOfOne(0xFE))
        }
        mix(String(timestampMillis).utf8)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var value = hash
        for index in stride(from: 31, through: 0, by: -1) {
            out[index] = hex[Int(value & 15)]
            value >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
