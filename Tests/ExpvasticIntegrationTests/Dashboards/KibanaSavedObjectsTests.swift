import Foundation
import Testing

/// `dashboards/expvastic-kibana.ndjson` is importable: every line an object with a unique id, every
/// reference resolvable, every `…RefName` backed by a reference, every JSON-in-a-string attribute
/// parseable.
@Suite struct KibanaSavedObjectsTests {
    static let dashboards = [
        "expvastic-go-runtime", "expvastic-self-monitoring", "expvastic-prometheus-targets", "expvastic-node-exporter",
    ]

    @Test func everyLineIsASavedObjectWithAUniqueID() throws {
        let text = try String(contentsOf: KibanaSavedObjects.fileURL(), encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        #expect(!text.contains("\n\n"), "blank lines make Kibana's import fail")
        let saved = try KibanaSavedObjects(ndjson: text)
        let ids = saved.objects.map(\.id)
        let duplicates = Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(duplicates.isEmpty, "duplicate ids: \(duplicates)")
        #expect(Set(saved.objects.map(\.type)) == ["index-pattern", "visualization", "dashboard"])
        for object in saved.objects {
            let title = object.attributes["title"] as? String ?? ""
            #expect(!title.isEmpty, "\(object.type) \(object.id) (line \(object.line)) has no title")
        }
    }

    @Test func theIndexPatternCoversExpvasticIndices() throws {
        let saved = try KibanaSavedObjects.load()
        let patterns = saved.objects(ofType: "index-pattern")
        #expect(patterns.count == 1)
        let pattern = try #require(patterns.first)
        #expect(pattern.attributes["title"] as? String == "expvastic-*")
        #expect(pattern.attributes["timeFieldName"] as? String == "@timestamp")
        let formats = try #require(try KibanaSavedObjects.parseEmbedded(pattern, ["fieldFormatMap"]) as? [String: Any])
        #expect(formats["memstats.HeapAlloc"] != nil)
        let template = try IndexTemplateMapping(
            templateJSON: Data(contentsOf: KibanaSavedObjects.composableTemplateURL()))
        #expect(try template.resolve("@timestamp", kind: .string).type == "date")
        let templateBody = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: KibanaSavedObjects.composableTemplateURL()))
                as? [String: Any])
        #expect(templateBody["index_patterns"] as? [String] == ["expvastic-*"])
    }

    @Test func everyReferenceResolvesToAnObjectOfItsType() throws {
        let saved = try KibanaSavedObjects.load()
        var problems: [String] = []
        for object in saved.objects {
            for reference in object.references {
                guard let target = saved.object(id: reference.id) else {
                    problems.append("\(object.id): reference \(reference.name) → \(reference.id) is not in the file")
                    continue
                }
                if target.type != reference.type {
                    problems.append(
                        "\(object.id): reference \(reference.name) says \(reference.type), \(reference.id) is a \(target.type)"
                    )
                }
            }
            let names = object.references.map(\.name)
            if Set(names).count != names.count { problems.append("\(object.id): reference names repeat: \(names)") }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func everyRefNameHasAReferenceAndTheEmbeddedJSONParses() throws {
        let saved = try KibanaSavedObjects.load()
        var problems: [String] = []
        for object in saved.objects where object.type != "index-pattern" {
            var embedded: [Any] = []
            var keyPaths = [["kibanaSavedObjectMeta", "searchSourceJSON"]]
            switch object.type {
            case "visualization": keyPaths += [["visState"], ["uiStateJSON"]]
            case "dashboard": keyPaths += [["panelsJSON"], ["optionsJSON"]]
            default: problems.append("\(object.id): unexpected type \(object.type)")
            }
            for keyPath in keyPaths {
                do {
                    embedded.append(try KibanaSavedObjects.parseEmbedded(object, keyPath))
                } catch {
                    problems.append("\(error)")
                }
            }
            let used = embedded.flatMap { KibanaSavedObjects.referenceNames(in: $0) }
            let declared = Set(object.references.map(\.name))
            for name in used where !declared.contains(name) {
                problems.append("\(object.id): \(name) is used but has no entry in references")
            }
            for name in declared.subtracting(used) {
                problems.append("\(object.id): reference \(name) is not used by any …RefName")
            }
            if object.type == "visualization" {
                let search = embedded.first as? [String: Any]
                if search?["indexRefName"] as? String != "kibanaSavedObjectMeta.searchSourceJSON.index" {
                    problems.append("\(object.id): searchSourceJSON does not point at the index pattern")
                }
                if search?["index"] != nil {
                    problems.append("\(object.id): searchSourceJSON names an index id directly; use indexRefName")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test(arguments: dashboards)
    func dashboardPanelsPointAtVisualizations(dashboardID: String) throws {
        let saved = try KibanaSavedObjects.load()
        let dashboard = try #require(saved.object(id: dashboardID))
        let panels = try #require(try KibanaSavedObjects.parseEmbedded(dashboard, ["panelsJSON"]) as? [[String: Any]])
        #expect(panels.count >= 6)
        let references = Dictionary(uniqueKeysWithValues: dashboard.references.map { ($0.name, $0) })
        var panelIndices: Set<String> = []
        for panel in panels {
            let name = try #require(panel["panelRefName"] as? String)
            #expect(panel["id"] == nil && panel["type"] == nil, "\(dashboardID) \(name): ids belong in references")
            let reference = try #require(references[name], "\(dashboardID): \(name) has no reference")
            #expect(reference.type == "visualization")
            #expect(saved.object(id: reference.id)?.type == "visualization")
            let grid = try #require(panel["gridData"] as? [String: Any])
            let x = try #require(grid["x"] as? Int)
            let w = try #require(grid["w"] as? Int)
            #expect(x >= 0 && w > 0 && x + w <= 48, "\(dashboardID) \(name) does not fit the 48-column grid")
            #expect(grid["i"] as? String == panel["panelIndex"] as? String)
            panelIndices.insert(panel["panelIndex"] as? String ?? "")
        }
        #expect(panelIndices.count == panels.count, "panel indices repeat")
        let visualizations = try saved.visualizations(ofDashboard: dashboardID)
        for visualization in visualizations {
            let uses = try KibanaSavedObjects.fieldUses(of: visualization)
            #expect(uses.contains { $0.need == .numeric }, "\(visualization.id) aggregates no field")
        }
    }

    @Test func everyVisualizationIsOnADashboard() throws {
        let saved = try KibanaSavedObjects.load()
        let shown = Set(try Self.dashboards.flatMap { try saved.visualizations(ofDashboard: $0).map(\.id) })
        let all = Set(saved.objects(ofType: "visualization").map(\.id))
        #expect(all.subtracting(shown).isEmpty, "not on any dashboard: \(all.subtracting(shown).sorted())")
        #expect(Set(saved.objects(ofType: "dashboard").map(\.id)) == Set(Self.dashboards))
    }

    @Test func fieldUsesReadDerivativesSortFieldsAndQueries() throws {
        let saved = try KibanaSavedObjects.load()
        let rates = try KibanaSavedObjects.fieldUses(of: try #require(saved.object(id: "expvastic-go-numgc-rate")))
        #expect(rates.contains { $0.field == "memstats.NumGC" && $0.need == .numeric })
        #expect(rates.contains { $0.field == "@timestamp" && $0.need == .date })
        #expect(rates.contains { $0.field == "reader" && $0.need == .keyword })
        #expect(rates.contains { $0.field == "memstats.NumGC" && $0.need == .searchable })
        let latest = try KibanaSavedObjects.fieldUses(of: try #require(saved.object(id: "expvastic-go-latest")))
        #expect(latest.contains { $0.field == "@timestamp" && $0.usage.hasSuffix("sort") })
        #expect(KibanaSavedObjects.kqlFields(#"endpoint : "self" and not (type : "x")"#) == ["endpoint", "type"])
    }
}
