import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The field names Elasticsearch (and OpenSearch) refuse, checked once per new path so that such a
/// field is dropped (`invalid_key`) instead of costing the whole document.
///
/// Elasticsearch splits a name at every `.` into object levels and rejects the document when a level
/// is empty or only whitespace (`field name cannot be an empty string`, `object field cannot contain
/// only whitespace`, `object field starting or ending with a [.] makes object resolution
/// ambiguous`): so `""`, `" "`, `".a"`, `"a."`, `"a..b"` and `{"x": {" ": 1}}` are refused. A root
/// name that is a metadata field (`_id`, `_source`, …; also as the first level of `_source.n`) is
/// refused with `Field [_id] is a metadata field and cannot be added inside a document`. Names
/// longer than ``maxBytes`` are dropped too: Elasticsearch's own limit
/// (`index.mapping.field_name_length.limit`) is unlimited by default, so this guard keeps a hostile
/// endpoint from bloating the mapping and the reader's path table.
package enum FieldName {
    /// The longest path (escaped UTF-8 bytes) a document may carry.
    package static let maxBytes = 1024

    /// Elasticsearch's and OpenSearch's metadata fields (8.x and 2.x): not allowed as root names.
    package static let metadataFields: Set<[UInt8]> = Set(
        [
            "_id", "_index", "_source", "_routing", "_type", "_version", "_seq_no", "_primary_term", "_ignored",
            "_ignored_source", "_field_names", "_meta", "_doc_count", "_tier", "_data_stream_timestamp",
            "_nested_path", "_feature", "_size", "_tsid", "_routing_hash", "_ts_routing_hash", "_uid", "_parent",
            "_all", "_timestamp", "_ttl",
        ].map { Array($0.utf8) })

    /// Whether Elasticsearch accepts `path` (escaped as in the output) as a field name.
    package static func isValid(_ path: [UInt8]) -> Bool {
        if path.count > maxBytes { return false }
        var segmentStart = 0
        for index in 0...path.count where index == path.count || path[index] == UInt8(ascii: ".") {
            let segment = path[segmentStart..<index]
            if segmentStart == 0, segment.first == UInt8(ascii: "_"), metadataFields.contains(Array(segment)) {
                return false
            }
            if !hasText(segment) { return false }
            segmentStart = index + 1
        }
        return true
    }

    /// Java's `Strings.hasText` on the unescaped segment: something other than whitespace
    /// (`Character.isWhitespace`: space, tab, line breaks, U+000B, U+000C, U+001C–U+001F and the
    /// Unicode space separators except the non-breaking ones).
    package static func hasText(_ segment: ArraySlice<UInt8>) -> Bool {
        var i = segment.startIndex
        while i < segment.endIndex {
            let byte = segment[i]
            switch byte {
            case UInt8(ascii: " "):
                i += 1
            case UInt8(ascii: "\\"):
                // JSONWriter escapes only control bytes, quote and backslash.
                guard i + 1 < segment.endIndex else { return true }
                let next = segment[i + 1]
                if next == UInt8(ascii: "t") || next == UInt8(ascii: "n") || next == UInt8(ascii: "r")
                    || next == UInt8(ascii: "f")
                {
                    i += 2
                } else if next == UInt8(ascii: "u"), i + 5 < segment.endIndex,
                    let scalar = UInt32(String(decoding: segment[(i + 2)...(i + 5)], as: UTF8.self), radix: 16),
                    scalar == 0x0B || (0x1C...0x1F).contains(scalar)
                {
                    i += 6
                } else {
                    return true
                }
            case 0xE1, 0xE2, 0xE3:
                guard i + 2 < segment.endIndex else { return true }
                let scalar =
                    (UInt32(byte & 0x0F) << 12) | (UInt32(segment[i + 1] & 0x3F) << 6) | UInt32(segment[i + 2] & 0x3F)
                guard isUnicodeSpace(scalar) else { return true }
                i += 3
            default:
                return true
            }
        }
        return false
    }

    private static func isUnicodeSpace(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x1680, 0x2000...0x2006, 0x2008...0x200A, 0x2028, 0x2029, 0x205F, 0x3000: true
        default: false
        }
    }
}
