import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

extension IndexTemplate {
    /// A tiny JSON tree that keeps key order, so the rendered template reads well and is stable.
    package indirect enum JSON: Equatable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case array([JSON])
        case object([(String, JSON)])

        package static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.rendered() == rhs.rendered() }

        /// Two-space indentation, `"key": value`, newline at the end.
        package func rendered() -> String {
            var out = ""
            render(into: &out, indent: "")
            return out + "\n"
        }

        private func render(into out: inout String, indent: String) {
            switch self {
            case .string(let text):
                var bytes: [UInt8] = []
                BulkEncoder.appendJSONString(text, to: &bytes)
                out += String(decoding: bytes, as: UTF8.self)
            case .int(let value): out += String(value)
            case .bool(let value): out += value ? "true" : "false"
            case .array(let items):
                if items.allSatisfy({ if case .string = $0 { true } else { false } }) {
                    out += "["
                    for (offset, item) in items.enumerated() {
                        if offset > 0 { out += ", " }
                        item.render(into: &out, indent: indent)
                    }
                    out += "]"
                    return
                }
                out += "[\n"
                for (offset, item) in items.enumerated() {
                    out += indent + "  "
                    item.render(into: &out, indent: indent + "  ")
                    out += offset == items.count - 1 ? "\n" : ",\n"
                }
                out += indent + "]"
            case .object(let members):
                if members.isEmpty {
                    out += "{}"
                    return
                }
                out += "{\n"
                for (offset, (key, value)) in members.enumerated() {
                    out += indent + "  "
                    JSON.string(key).render(into: &out, indent: indent)
                    out += ": "
                    value.render(into: &out, indent: indent + "  ")
                    out += offset == members.count - 1 ? "\n" : ",\n"
                }
                out += indent + "}"
            }
        }
    }

    package var json: JSON {
        let settings = JSON.object([("index.mapping.total_fields.limit", .int(Document.mappingFieldLimit))])
        switch kind {
        case .composable:
            // Priority 200 also beats Elasticsearch's built-in `metrics-*-*` data stream template (100).
            return .object(
                [
                    ("index_patterns", .array([.string(indexPattern)])),
                    ("priority", .int(IndexTemplate.priority)),
                ] + (isDataStream ? [("data_stream", .object([]))] : []) + [
                    ("template", .object([("settings", settings), ("mappings", mappings)]))
                ])
        case .legacy:
            return .object([
                ("index_patterns", .array([.string(indexPattern)])),
                ("order", .int(1)),
                ("settings", settings),
                ("mappings", mappings),
            ])
        case .legacyWithDocumentType:
            return .object([
                ("index_patterns", .array([.string(indexPattern)])),
                ("order", .int(1)),
                ("settings", settings),
                ("mappings", .object([("_doc", mappings)])),
            ])
        }
    }

    private var mappings: JSON {
        func rule(_ name: String, _ conditions: [(String, JSON)], _ mapping: [(String, JSON)]) -> JSON {
            .object([(name, .object(conditions + [("mapping", .object(mapping))]))])
        }
        let long: [(String, JSON)] = [("type", .string("long"))]
        let double: [(String, JSON)] = [("type", .string("double"))]
        let keyword: [(String, JSON)] = [("type", .string("keyword"))]
        // Dynamic templates: the first that matches wins, so the exceptions come before the rule.
        let dynamicTemplates: [JSON] = [
            // Prometheus labels (`labels.le`, `labels.code`) are keywords even when they read as numbers.
            rule(
                "prometheus_labels", [("path_match", .string("labels.*"))],
                keyword + [("ignore_above", .int(IndexTemplate.keywordIgnoreAbove))]
            ),
            rule("go_gc_cpu_fraction", [("path_match", .string("memstats.GCCPUFraction"))], double),
            rule("go_gc_pause_averages", [("path_match", .string("memstats.gc.*avg*"))], double),
            rule(
                "go_runtime_integers",
                [("path_match", .string("memstats.*")), ("match_mapping_type", .string("long"))],
                long
            ),
            rule("numbers_as_double", [("match_mapping_type", .string("long"))], double),
            rule("floats_as_double", [("match_mapping_type", .string("double"))], double),
            rule(
                "strings_as_keyword",
                [("match_mapping_type", .string("string"))],
                keyword + [("ignore_above", .int(IndexTemplate.keywordIgnoreAbove))]
            ),
        ]
        return .object([
            ("date_detection", .bool(false)),
            ("numeric_detection", .bool(false)),
            ("dynamic_templates", .array(dynamicTemplates)),
            (
                "properties",
                .object([
                    ("@timestamp", .object([("type", .string("date"))])),
                    ("type", .object(keyword)),
                    ("reader", .object(keyword)),
                    ("endpoint", .object(keyword)),
                ])
            ),
        ])
    }
}
