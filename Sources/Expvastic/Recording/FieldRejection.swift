import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The field a cluster blamed when it refused a document, read from the item's error (the reasons
/// of Elasticsearch 6.8–8.x and OpenSearch, which osmem-server writes the same way):
///
/// | reason (after an optional `[1:23] ` position) | blamed | learned |
/// |---|---|---|
/// | `failed to parse field [P] of type [T] …` | `P` | `P` is a `T` |
/// | `failed to parse [P]` (6.x) | `P` | refused |
/// | `object mapping for [P] tried to parse field [X] as object, but found a concrete value` | `P` | object |
/// | `Could not dynamically add mapping for field [P]. Existing mapping for [Q] must be of type object but found [T]` | under `Q` | `Q` is a `T` |
/// | `mapper [P] cannot be changed from type [T] to [U]`, `mapper [P] of different type, current_type [T], …` | `P` | `P` is a `T` |
/// | `Can't merge a non object mapping [P] with an object mapping [P]` | `P` | refused |
/// | `mapping set to strict, dynamic introduction of [X] within [W] is not allowed` | `W.X` | refused |
///
/// Anything else (a field limit, a missing index, a parse error of the whole line) blames no field:
/// the document goes to the dead-letter file whole.
package struct FieldRejection: Sendable, Equatable {
    /// The path (as Elasticsearch names it: the dotted path, unescaped).
    package var path: String
    /// False when only what is nested under ``path`` is to blame (the cluster maps `path` itself as
    /// a value, and the document has `path.x`): a value at `path` stays.
    package var includesPath: Bool
    package var pin: FieldPin

    package init(path: String, includesPath: Bool = true, pin: FieldPin) {
        self.path = path
        self.includesPath = includesPath
        self.pin = pin
    }

    /// Whether the document field `key` (unescaped) is to blame.
    package func blames(_ key: String) -> Bool {
        if includesPath && key == path { return true }
        return key.count > path.count && key.hasPrefix(path) && key.dropFirst(path.count).first == "."
    }

    /// The blamed field of a refused item, or nil when no field is to blame.
    package static func parse(errorType: String?, reason: String?) -> FieldRejection? {
        guard let reason, !reason.isEmpty else { return nil }
        if let rest = after("failed to parse field [", in: reason), let path = bracketed(rest) {
            let type = after("of type [", in: rest).flatMap(bracketed)
            return FieldRejection(path: path, pin: type.map(pin(forType:)) ?? .refused)
        }
        if let rest = after("Could not dynamically add mapping for field [", in: reason),
            let existing = after("Existing mapping for [", in: rest), let parent = bracketed(existing)
        {
            let type = after("but found [", in: existing).flatMap(bracketed)
            return FieldRejection(path: parent, includesPath: false, pin: type.map(pin(forType:)) ?? .refused)
        }
        if let rest = after("object mapping for [", in: reason), let path = bracketed(rest),
            reason.contains("found a concrete value")
        {
            return FieldRejection(path: path, pin: .kind(.object))
        }
        if let rest = after("mapper [", in: reason), let path = bracketed(rest) {
            let type = (after("from type [", in: rest) ?? after("current_type [", in: rest)).flatMap(bracketed)
            return FieldRejection(path: path, pin: type.map(pin(forType:)) ?? .refused)
        }
        if let rest = after("Can't merge a non object mapping [", in: reason), let path = bracketed(rest) {
            return FieldRejection(path: path, pin: .refused)
        }
        if let rest = after("dynamic introduction of [", in: reason), let field = bracketed(rest) {
            let within = after("within [", in: rest).flatMap(bracketed) ?? "_doc"
            let path = within == "_doc" || within.isEmpty || within.hasPrefix("_") ? field : within + "." + field
            return FieldRejection(path: path, pin: .refused)
        }
        if let rest = after("failed to parse [", in: reason), let path = bracketed(rest) {
            return FieldRejection(path: path, pin: .refused)
        }
        return nil
    }

    /// Whether the item was refused because the index has no room for more fields
    /// (`index.mapping.total_fields.limit`): no field is named, the index's mapping tells which of
    /// the document's fields are new (see ``MappedFields``).
    package static func isFieldLimit(reason: String?) -> Bool {
        guard let reason else { return false }
        return after("Limit of total fields [", in: reason).map { $0.contains("has been exceeded") } ?? false
    }

    /// The kind a mapping type takes values of; ``FieldPin/refused`` for types no reader writes.
    package static func pin(forType type: String) -> FieldPin {
        switch type {
        case "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long":
            .kind(.number)
        case "keyword", "text", "wildcard", "constant_keyword", "match_only_text":
            .kind(.string)
        case "boolean":
            .kind(.boolean)
        case "object", "nested":
            .kind(.object)
        default:
            .refused
        }
    }

    /// The text after the first `marker`.
    private static func after(_ marker: String, in text: String) -> Substring? {
        after(marker, in: text[...])
    }

    private static func after(_ marker: String, in text: Substring) -> Substring? {
        guard let range = text.firstRange(of: marker) else { return nil }
        return text[range.upperBound...]
    }

    /// The text up to the closing `]` of a bracket just opened; nil when empty or unclosed.
    private static func bracketed(_ text: Substring) -> String? {
        guard let end = text.firstIndex(of: "]"), end > text.startIndex else { return nil }
        return String(text[..<end])
    }
}
