import ExpvasticTestSupport
import Foundation

/// The saved objects of `dashboards/expvastic-kibana.ndjson`, with the JSON-in-a-string attributes
/// (`visState`, `panelsJSON`, `searchSourceJSON`, …) parsed, and the fields each visualization reads.
struct KibanaSavedObjects {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Reference: Equatable {
        var id: String
        var name: String
        var type: String
    }

    struct SavedObject {
        var line: Int
        var id: String
        var type: String
        var attributes: [String: Any]
        var references: [Reference]
    }

    /// What a visualization needs of a field's mapping.
    enum Need: String, Equatable {
        /// avg, max, min, sum, derivative's metric, top_hit: a number.
        case numeric
        /// terms: a keyword.
        case keyword
        /// date_histogram, top_hit's sort: a date.
        case date
        /// A KQL `field : value` in the saved query: any indexed field.
        case searchable
    }

    /// One field one visualization reads.
    struct FieldUse: Equatable, CustomStringConvertible {
        var field: String
        var need: Need
        /// The visualization's id and the aggregation (or `query`) that reads the field.
        var visualization: String
        var usage: String

        var description: String { "\(field) (\(need.rawValue), \(usage) in \(visualization))" }
    }

    var objects: [SavedObject]

    /// `dashboards/expvastic-kibana.ndjson` of this repository.
    static func fileURL() throws -> URL {
        try RepoRoot.url().appendingPathComponent("dashboards/expvastic-kibana.ndjson")
    }

    /// `dashboards/index-template-composable.json` of this repository.
    static func composableTemplateURL() throws -> URL {
        try RepoRoot.url().appendingPathComponent("dashboards/index-template-composable.json")
    }

    static func load() throws -> KibanaSavedObjects {
        try KibanaSavedObjects(ndjson: String(contentsOf: fileURL(), encoding: .utf8))
    }

    /// Parses every non-empty line as one saved object.
    init(ndjson: String) throws {
        var objects: [SavedObject] = []
        for (offset, line) in ndjson.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            let number = offset + 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure(description: "line \(number) is not a JSON object")
            }
            guard let id = object["id"] as? String, !id.isEmpty, let type = object["type"] as? String,
                let attributes = object["attributes"] as? [String: Any]
            else {
                throw Failure(description: "line \(number) lacks a string id, a string type or an attributes object")
            }
            guard let rawReferences = object["references"] as? [[String: Any]] else {
                throw Failure(description: "line \(number) (\(id)) has no references array")
            }
            var references: [Reference] = []
            for reference in rawReferences {
                guard let refID = reference["id"] as? String, let name = reference["name"] as? String,
                    let refType = reference["type"] as? String
                else {
                    throw Failure(description: "line \(number) (\(id)) has a reference without id, name or type")
                }
                references.append(Reference(id: refID, name: name, type: refType))
            }
            objects.append(
                SavedObject(line: number, id: id, type: type, attributes: attributes, references: references))
        }
        self.objects = objects
    }

    func objects(ofType type: String) -> [SavedObject] { objects.filter { $0.type == type } }

    func object(id: String) -> SavedObject? { objects.first { $0.id == id } }

    /// Parses the JSON text stored in an attribute (`visState`, `panelsJSON`, …).
    static func parseEmbedded(_ object: SavedObject, _ keyPath: [String]) throws -> Any {
        var value: Any? = object.attributes
        for key in keyPath { value = (value as? [String: Any])?[key] }
        let name = keyPath.joined(separator: ".")
        guard let text = value as? String else {
            throw Failure(description: "\(object.type) \(object.id): attributes.\(name) is not a string")
        }
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
        } catch {
            throw Failure(description: "\(object.type) \(object.id): attributes.\(name) is not JSON: \(error)")
        }
    }

    /// Every `…RefName` value anywhere in `value` (Kibana's pointers into `references`).
    static func referenceNames(in value: Any) -> [String] {
        var names: [String] = []
        if let object = value as? [String: Any] {
            for (key, member) in object {
                if key.hasSuffix("RefName"), let name = member as? String { names.append(name) }
                names += referenceNames(in: member)
            }
        } else if let array = value as? [Any] {
            for element in array { names += referenceNames(in: element) }
        }
        return names
    }

    /// The visualizations a dashboard shows, resolved through its references.
    func visualizations(ofDashboard dashboardID: String) throws -> [SavedObject] {
        guard let dashboard = object(id: dashboardID), dashboard.type == "dashboard" else {
            throw Failure(description: "no dashboard with id \(dashboardID)")
        }
        return try dashboard.references.filter { $0.type == "visualization" }.map { reference in
            guard let visualization = object(id: reference.id) else {
                throw Failure(description: "dashboard \(dashboardID) shows \(reference.id), which is not in the file")
            }
            return visualization
        }
    }

    /// Every field a dashboard's visualizations read.
    func fieldUses(ofDashboard dashboardID: String) throws -> [FieldUse] {
        try visualizations(ofDashboard: dashboardID).flatMap { try Self.fieldUses(of: $0) }
    }

    /// The fields one visualization reads: the `field` (and `sortField`) of every aggregation,
    /// including a derivative's custom metric, and the fields its saved KQL query names.
    static func fieldUses(of visualization: SavedObject) throws -> [FieldUse] {
        guard let state = try parseEmbedded(visualization, ["visState"]) as? [String: Any] else {
            throw Failure(description: "visualization \(visualization.id): visState is not an object")
        }
        var uses: [FieldUse] = []
        func walk(_ aggregation: [String: Any], path: String) throws {
            guard let type = aggregation["type"] as? String else {
                throw Failure(description: "visualization \(visualization.id): aggregation \(path) has no type")
            }
            let params = aggregation["params"] as? [String: Any] ?? [:]
            let usage = "\(type) \(path)"
            if let field = params["field"] as? String {
                let need: Need
                switch type {
                case "date_histogram", "date_range": need = .date
                case "terms", "significant_terms", "filters": need = .keyword
                default: need = .numeric
                }
                uses.append(FieldUse(field: field, need: need, visualization: visualization.id, usage: usage))
            }
            if let sortField = params["sortField"] as? String {
                uses.append(
                    FieldUse(field: sortField, need: .date, visualization: visualization.id, usage: usage + " sort"))
            }
            for key in ["customMetric", "customBucket"] {
                if let nested = params[key] as? [String: Any] { try walk(nested, path: path + "." + key) }
            }
        }
        for aggregation in state["aggs"] as? [[String: Any]] ?? [] {
            try walk(aggregation, path: "agg \(aggregation["id"] as? String ?? "?")")
        }
        if let controls = (state["params"] as? [String: Any])?["controls"] as? [[String: Any]] {
            for control in controls {
                if let field = control["fieldName"] as? String {
                    uses.append(
                        FieldUse(field: field, need: .keyword, visualization: visualization.id, usage: "control"))
                }
            }
        }
        let search = try parseEmbedded(visualization, ["kibanaSavedObjectMeta", "searchSourceJSON"])
        if let query = ((search as? [String: Any])?["query"] as? [String: Any])?["query"] as? String {
            for field in kqlFields(query) {
                uses.append(
                    FieldUse(field: field, need: .searchable, visualization: visualization.id, usage: "query"))
            }
        }
        return uses
    }

    /// The field names of `field : value` terms in a KQL query (enough for the simple queries here).
    static func kqlFields(_ query: String) -> [String] {
        var fields: [String] = []
        let words = query.split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() where word == ":" && index > 0 {
            let field = words[index - 1].trimmingCharacters(in: CharacterSet(charactersIn: "("))
            if !["and", "or", "not"].contains(field.lowercased()) { fields.append(field) }
        }
        return fields
    }
}
