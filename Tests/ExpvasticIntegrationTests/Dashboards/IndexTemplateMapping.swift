import Foundation

/// Works out how Elasticsearch maps a field of a new document under an index template, the way its
/// dynamic mapping does: explicit `properties` first; otherwise the first `dynamic_templates` entry
/// whose conditions all hold (`match_mapping_type` against the JSON type Elasticsearch detects,
/// `match`/`unmatch` against the last path segment, `path_match`/`path_unmatch` against the full
/// dotted path, `*` matching any run of characters); otherwise the default dynamic mapping (`long`,
/// `float`, `text` with a `keyword` sub-field, `boolean`).
///
/// A dotted field name such as `memstats.gc.pause_max_ns` becomes objects `memstats` → `gc`, so a
/// field is also checked for its parents: a parent mapped as a leaf (`reader` is a `keyword`) or
/// sent as a value in the same document makes Elasticsearch reject the document.
struct IndexTemplateMapping {
    /// Where a field's mapping came from and what it is.
    struct Resolution: Equatable, CustomStringConvertible {
        /// The mapped type (`long`, `double`, `keyword`, `date`, `text`, …).
        var type: String
        /// `properties`, the dynamic template's name, or `default dynamic mapping`.
        var rule: String

        var description: String { "\(type) (\(rule))" }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct Template {
        var name: String
        var matchMappingTypes: [String]
        var match: [String]
        var unmatch: [String]
        var pathMatch: [String]
        var pathUnmatch: [String]
        var type: String?
    }

    private let properties: [String: String]
    private let templates: [Template]

    /// Numeric field types that metric aggregations (avg, max, sum, derivative, top_hit) accept.
    static let numericTypes: Set<String> = [
        "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long",
    ]

    /// The mappings of a composable (`template.mappings`) or legacy (`mappings`) template body.
    init(templateJSON data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "the template is not a JSON object")
        }
        let mappings =
            (root["template"] as? [String: Any])?["mappings"] as? [String: Any] ?? root["mappings"] as? [String: Any]
        guard let mappings else { throw Failure(description: "the template has no mappings") }
        try self.init(mappings: mappings)
    }

    /// A `mappings` object as Elasticsearch's `GET /<index>/_mapping` or a template holds it.
    init(mappings: [String: Any]) throws {
        var properties: [String: String] = [:]
        func collect(_ object: [String: Any], prefix: String) {
            for (name, value) in object {
                guard let field = value as? [String: Any] else { continue }
                let path = prefix.isEmpty ? name : prefix + "." + name
                if let nested = field["properties"] as? [String: Any] {
                    properties[path] = (field["type"] as? String) ?? "object"
                    collect(nested, prefix: path)
                } else {
                    properties[path] = (field["type"] as? String) ?? "object"
                }
            }
        }
        collect(mappings["properties"] as? [String: Any] ?? [:], prefix: "")
        self.properties = properties

        func patterns(_ value: Any?) -> [String] {
            if let text = value as? String { return [text] }
            return value as? [String] ?? []
        }
        var templates: [Template] = []
        for entry in mappings["dynamic_templates"] as? [[String: Any]] ?? [] {
            guard entry.count == 1, let (name, body) = entry.first, let rule = body as? [String: Any] else {
                throw Failure(description: "a dynamic template entry must be {\"name\": {...}}: \(entry)")
            }
            if rule["match_pattern"] as? String == "regex" {
                throw Failure(
                    description: "dynamic template \(name) uses regex patterns, which this check does not read")
            }
            templates.append(
                Template(
                    name: name,
                    matchMappingTypes: patterns(rule["match_mapping_type"]),
                    match: patterns(rule["match"]),
                    unmatch: patterns(rule["unmatch"]),
                    pathMatch: patterns(rule["path_match"]),
                    pathUnmatch: patterns(rule["path_unmatch"]),
                    type: (rule["mapping"] as? [String: Any])?["type"] as? String
                ))
        }
        self.templates = templates
    }

    /// The type `properties` gives `path` (for a cluster's actual mapping: what it has already mapped).
    func explicitType(_ path: String) -> String? { properties[path] }

    /// How `field`, sent with a value of `kind` next to the other fields of `document`, is mapped;
    /// throws a ``Failure`` naming the conflict when Elasticsearch would reject the document.
    func resolve(_ field: String, kind: DocumentFields.Kind, document: Set<String> = []) throws -> Resolution {
        let segments = field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for depth in 1..<max(segments.count, 1) {
            let parent = segments[0..<depth].joined(separator: ".")
            if document.contains(parent) {
                throw Failure(
                    description:
                        "\(field) needs \(parent) to be an object, but the same document sends \(parent) as a value")
            }
            let mapped = try resolveOne(parent, mappingType: "object")
            if mapped.type != "object" && mapped.type != "nested" {
                throw Failure(
                    description: "\(field) needs \(parent) to be an object, but it is mapped as \(mapped)")
            }
        }
        guard let mappingType = kind.mappingType else {
            throw Failure(description: "\(field) is \(kind): Elasticsearch maps no field for it")
        }
        let resolution = try resolveOne(field, mappingType: mappingType)
        if resolution.type == "object" && mappingType != "object" {
            throw Failure(description: "\(field) is a \(kind) value but is mapped as an object (\(resolution.rule))")
        }
        return resolution
    }

    private func resolveOne(_ path: String, mappingType: String) throws -> Resolution {
        if let type = properties[path] { return Resolution(type: type, rule: "properties") }
        let leaf = path.split(separator: ".").last.map(String.init) ?? path
        for template in templates {
            if !template.matchMappingTypes.isEmpty
                && !template.matchMappingTypes.contains(where: { $0 == "*" || $0 == mappingType })
            {
                continue
            }
            if !template.match.isEmpty && !template.match.contains(where: { Self.simpleMatch($0, leaf) }) { continue }
            if template.unmatch.contains(where: { Self.simpleMatch($0, leaf) }) { continue }
            if !template.pathMatch.isEmpty && !template.pathMatch.contains(where: { Self.simpleMatch($0, path) }) {
                continue
            }
            if template.pathUnmatch.contains(where: { Self.simpleMatch($0, path) }) { continue }
            let type = template.type ?? Self.defaultType(mappingType)
            return Resolution(type: type, rule: "dynamic template \(template.name)")
        }
        return Resolution(type: Self.defaultType(mappingType), rule: "default dynamic mapping")
    }

    private static func defaultType(_ mappingType: String) -> String {
        switch mappingType {
        case "double": "float"
        case "string": "text"
        default: mappingType
        }
    }

    /// Elasticsearch's `Regex.simpleMatch`: `*` matches any run of characters (dots included).
    static func simpleMatch(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var p = 0
        var t = 0
        var star = -1
        var resume = 0
        while t < text.count {
            if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count && pattern[p] == text[t] {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
