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
    /// An empty key or one starting or ending with `.` (Elasticsearch rejects such field names).
    case invalidKey
    /// A key already present (two keys that flatten to the same path, like `a.b` and `a: {b}`): the
    /// first one is kept.
    case duplicate
    /// A payload field named like an envelope field (`@timestamp`, `type`, `reader`, `endpoint`) or
    /// nested under one (`reader.x`): the envelope wins.
    case reserved
    /// A value at a path under which other fields are nested (`a` next to `a.b`), which Elasticsearch
    /// cannot map; the nested fields are kept.
    case conflict
    /// A GC pause ring without a `NumGC` next to it, so new pauses cannot be told apart.
    case gcRing

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
        }
    }
}
