import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Why a payload field is not in the document; the `reason` label of the `fields_dropped` counter.
public enum DropReason: Int, Sendable, CaseIterable {
    /// The value was JSON `null`.
    case null
    /// Go's `+Inf`, `-Inf` or `NaN` (or a number too large for a double), which Elasticsearch rejects.
    case nonFinite
    /// An array holding objects or arrays, not named by `include`.
    case objectArray
    /// An array mixing numbers, strings, booleans or nulls, not named by `include`.
    case mixedArray
    /// Removed by `exclude`, or not matched by a non-empty `include`.
    case excluded
    /// `memstats.BySize` (61 size classes), dropped unless `include` names it.
    case bySize
    /// A name Elasticsearch rejects: an empty or whitespace-only level (`""`, `" "`, `.a`, `a.`,
    /// `a..b`), a root metadata name (`_id`, `_source.n`, …) or a path over 1,024 bytes.
    case invalidKey
    /// A key already present (two keys that flatten to the same path, like `a.b` and `a: {b}`): the
    /// first one is kept.
    case duplicate
    /// A payload field named like an envelope field (`@timestamp`, `type`, `reader`, `endpoint`) or
    /// nested under one (`reader.x`): the envelope wins.
    case reserved
    /// A value at a path under which other fields are nested (`a` next to `a.b`), which Elasticsearch
    /// cannot map: the nested fields are kept, on every poll. Once a path has been a value in an
    /// earlier poll, fields nested under it are dropped instead (the path keeps its first kind).
    case conflict
    /// A GC pause ring without a `NumGC` next to it, so new pauses cannot be told apart.
    case gcRing
    /// A value whose kind (number, string, boolean, numeric/string/boolean array) differs from the
    /// kind the path was first seen with; Elasticsearch would reject the whole document.
    case typeConflict
    /// Beyond the reader's `max_fields`: the last fields in sorted key order.
    case budget
    /// A string that a `map_file` conversion (`duration`, `rfc3339`) could not read.
    case conversionFailed
    /// A path the cluster refused (its mapping cannot take it, or a path nested under one it maps as
    /// a value), learned from an Elasticsearch recorder's rejection (``FieldPins``).
    case clusterRefused

    /// The metric label value.
    public var label: String {
        switch self {
        case .null: "null"
        case .nonFinite: "non_finite"
        case .objectArray: "object_array"
        case .mixedArray: "mixed_array"
        case .excluded: "excluded"
        case .bySize: "bysize"
        case .invalidKey: "invalid_key"
        case .duplicate: "duplicate"
        case .reserved: "reserved"
        case .conflict: "conflict"
        case .gcRing: "gc_ring"
        case .typeConflict: "type_conflict"
        case .budget: "budget"
        case .conversionFailed: "conversion_failed"
        case .clusterRefused: "cluster_refused"
        }
    }
}
