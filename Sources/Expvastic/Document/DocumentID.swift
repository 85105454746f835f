import ExpvasticBase

/// The deterministic `_id` of a document: 128-bit FNV-1a (``StableHash/FNV128``) rendered as 32
/// lower-case hex digits. Stable across processes, machines and versions, so a re-sent document is
/// a duplicate that Elasticsearch's `create` rejects instead of a second copy.
public enum DocumentID {
    /// The id for one poll of `reader` at `endpoint` started at `timestampMillis`; `entity` tells
    /// apart the documents of one poll (nil for the single document of an expvar or self poll, which
    /// keeps the ids of earlier versions). Prefer ``make(reader:endpoint:entity:slot:)`` when the
    /// poll has a slot: two polls of one target in one interval then share their ids.
    public static func make(reader: String, endpoint: String, entity: String? = nil, timestampMillis: Int64) -> String {
        var hash = prefix(reader: reader, endpoint: endpoint, entity: entity)
        hash.add(String(timestampMillis))
        return hash.hex
    }

    /// The id for the poll of `reader` at `endpoint` in `slot` (the interval on the target's grid it
    /// was scheduled for): the same in every process that polls that target in that interval, after a
    /// restart or a reload too, so Elasticsearch keeps one document per target and interval.
    public static func make(reader: String, endpoint: String, entity: String? = nil, slot: PollSlot) -> String {
        var hash = prefix(reader: reader, endpoint: endpoint, entity: entity)
        hash.add("slot:")  // the bytes of "slot:<interval>:<index>", without making that string
        hash.add(decimal: slot.intervalNanos)
        hash.add(":")
        hash.add(decimal: slot.index)
        return hash.hex
    }

    /// The part of the ids of one reader and endpoint that every document shares, hashed once: for
    /// readers that make many documents per poll. ``make(entity:timestampMillis:)`` gives exactly
    /// what ``DocumentID/make(reader:endpoint:entity:timestampMillis:)`` gives for the entity's bytes.
    public struct Prefix: Sendable {
        private let hash: StableHash.FNV128

        public init(reader: String, endpoint: String) {
            hash = DocumentID.prefix(reader: reader, endpoint: endpoint, entity: nil)
        }

        /// The id of the document of `entity` (UTF-8 bytes; nil for none) at `timestampMillis`.
        public func make(entity: UnsafeRawBufferPointer?, timestampMillis: Int64) -> String {
            var hash = self.hash
            if let entity {
                hash.add(bytes: entity)
                hash.separate(0xFE)
            }
            hash.add(decimal: timestampMillis)
            return hash.hex
        }
    }

    private static func prefix(reader: String, endpoint: String, entity: String?) -> StableHash.FNV128 {
        var hash = StableHash.FNV128()
        hash.add(reader)
        hash.separate()
        hash.add(endpoint)
        hash.separate()
        if let entity {
            hash.add(entity)
            hash.separate(0xFE)
        }
        return hash
    }
}

/// The interval a poll was scheduled for: index `index` on a grid of `intervalNanos` whose ticks sit
/// at `index × interval + phase` nanoseconds of wall time (the phase comes from the target's identity).
public struct PollSlot: Sendable, Hashable {
    public var index: Int64
    public var intervalNanos: UInt64

    public init(index: Int64, intervalNanos: UInt64) {
        self.index = index
        self.intervalNanos = intervalNanos
    }
}
