import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Which field-level mapping `meta` (``FieldMeta``) an Elasticsearch recorder has put into which
/// index, and which mapping updates to send next. A pure value type: the recorder asks for the
/// updates a stored bulk request calls for and reports how each went; no I/O here.
///
/// An index gets one `PUT <index>/_mapping` per new or changed set of fields, after a bulk request
/// has stored documents in it (so the index exists; a daily index gets its own). A refused update
/// (HTTP 4xx other than 429: say a field mapped as `long` in an index made without the template)
/// is not sent again to that index; a failed one (connection, 429, 5xx) is retried after
/// ``retryNanos`` with the next bulk request. At most ``maxIndices`` indices are remembered (the
/// least recently written is forgotten, and re-sent at worst, which is harmless).
package struct FieldMetaLedger {
    /// One mapping update: these fields of this index.
    package struct Update: Sendable, Equatable {
        package var index: String
        package var fields: [FieldMeta]
    }

    package enum Outcome: Sendable, Equatable {
        case applied
        /// The cluster refused the update; it is not retried for this index.
        case refused
        /// It may work later.
        case failed
    }

    package static let retryNanos: UInt64 = 60_000_000_000
    package static let maxIndices = 8

    /// Per index: field → the meta sent (applied or refused).
    private var done: [String: [String: FieldMeta]] = [:]
    /// Indices, least recently written first.
    private var order: [String] = []
    private var retryAt: [String: UInt64] = [:]
    private var inFlight: Set<String> = []

    /// The updates that `documents`, just stored, call for: per index (`index` of a document's
    /// timestamp), the fields whose meta the index has not got yet (the first document naming a
    /// field wins). Indices with an update in flight or waiting to retry are left out.
    package mutating func updates(for documents: [Document], index: (Int64) -> String, now: UInt64) -> [Update] {
        var updates: [Update] = []
        var positions: [String: Int] = [:]
        var named: Set<[String]> = []
        for document in documents where !document.fieldMeta.isEmpty {
            let name = index(document.timestampMillis)
            touch(name)
            if inFlight.contains(name) { continue }
            if let at = retryAt[name], now < at { continue }
            let known = done[name] ?? [:]
            for meta in document.fieldMeta where known[meta.field] != meta {
                guard named.insert([name, meta.field]).inserted else { continue }
                if let position = positions[name] {
                    updates[position].fields.append(meta)
                } else {
                    positions[name] = updates.count
                    updates.append(Update(index: name, fields: [meta]))
                }
            }
        }
        for update in updates { inFlight.insert(update.index) }
        return updates
    }

    /// Records how `update` went.
    package mutating func finished(_ update: Update, outcome: Outcome, now: UInt64) {
        inFlight.remove(update.index)
        switch outcome {
        case .applied, .refused:
            retryAt[update.index] = nil
            guard order.contains(update.index) else { return }
            var known = done[update.index] ?? [:]
            for meta in update.fields { known[meta.field] = meta }
            done[update.index] = known
        case .failed:
            retryAt[update.index] = now &+ Self.retryNanos
        }
    }

    /// The `PUT <index>/_mapping` body: `{"properties":{"<field>":{"type":"double","meta":{…}}}}`.
    package static func body(_ fields: [FieldMeta]) -> [UInt8] {
        var out = Array(#"{"properties":{"#.utf8)
        for (offset, meta) in fields.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            BulkEncoder.appendJSONString(meta.field, to: &out)
            out.append(contentsOf: #":{"type":"#.utf8)
            BulkEncoder.appendJSONString(meta.mappingType, to: &out)
            out.append(contentsOf: #","meta":{"#.utf8)
            for (position, entry) in meta.entries.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                BulkEncoder.appendJSONString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                BulkEncoder.appendJSONString(entry.value, to: &out)
            }
            out.append(contentsOf: "}}".utf8)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// Marks `index` as just written; forgets the least recently written beyond ``maxIndices``.
    private mutating func touch(_ index: String) {
        if let position = order.firstIndex(of: index) {
            if position != order.count - 1 {
                order.remove(at: position)
                order.append(index)
            }
            return
        }
        order.append(index)
        while order.count > Self.maxIndices {
            let forgotten = order.removeFirst()
            done[forgotten] = nil
            retryAt[forgotten] = nil
        }
    }
}
