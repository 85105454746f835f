import Foundation
import Testing

/// The template resolver and the field check themselves, on the shipped template, so that the
/// dashboard tests cannot pass by not looking.
@Suite struct IndexTemplateMappingTests {
    func shippedTemplate() throws -> IndexTemplateMapping {
        try IndexTemplateMapping(templateJSON: Data(contentsOf: KibanaSavedObjects.composableTemplateURL()))
    }

    @Test func resolvesLikeElasticsearchDynamicTemplates() throws {
        let template = try shippedTemplate()
        #expect(try template.resolve("memstats.HeapAlloc", kind: .integer).type == "long")
        #expect(
            try template.resolve("memstats.HeapAlloc", kind: .integer).rule == "dynamic template go_runtime_integers")
        // A GCCPUFraction that reads 0 is written as an integer; it must still become a double.
        #expect(try template.resolve("memstats.GCCPUFraction", kind: .integer).type == "double")
        #expect(try template.resolve("memstats.gc.pause_avg_ns", kind: .double).type == "double")
        #expect(try template.resolve("memstats.gc.pause_max_ns", kind: .integer).type == "long")
        #expect(try template.resolve("memstats.gc.pauses_ns", kind: .array(.integer)).type == "long")
        #expect(try template.resolve("requests", kind: .integer).type == "double")
        #expect(try template.resolve("db.latency_ms", kind: .double).type == "double")
        #expect(try template.resolve("message", kind: .string).type == "keyword")
        #expect(try template.resolve("type", kind: .string).rule == "properties")
        #expect(try template.resolve("healthy", kind: .boolean).type == "boolean")
    }

    @Test func defaultDynamicMappingWithoutTemplates() throws {
        let mapping = try IndexTemplateMapping(mappings: [:])
        #expect(try mapping.resolve("a.b", kind: .integer) == .init(type: "long", rule: "default dynamic mapping"))
        #expect(try mapping.resolve("a", kind: .double).type == "float")
        #expect(try mapping.resolve("a", kind: .string).type == "text")
    }

    @Test func aParentThatIsAValueIsAConflict() throws {
        let template = try shippedTemplate()
        #expect(throws: IndexTemplateMapping.Failure.self) {
            try template.resolve("reader.FirstApp.polls_ok", kind: .integer)
        }
        #expect(throws: IndexTemplateMapping.Failure.self) {
            try template.resolve("db.open", kind: .integer, document: ["db", "db.open"])
        }
        #expect(try template.resolve("readers.FirstApp.polls_ok", kind: .integer).type == "double")
    }

    @Test func simpleMatchIsElasticsearchs() {
        #expect(IndexTemplateMapping.simpleMatch("memstats.*", "memstats.gc.pause_max_ns"))
        #expect(IndexTemplateMapping.simpleMatch("memstats.gc.*avg*", "memstats.gc.pause_avg_ns"))
        #expect(!IndexTemplateMapping.simpleMatch("memstats.gc.*avg*", "memstats.gc.pause_max_ns"))
        #expect(!IndexTemplateMapping.simpleMatch("memstats.*", "memstatsX"))
        #expect(IndexTemplateMapping.simpleMatch("*", ""))
        #expect(IndexTemplateMapping.simpleMatch("a*b*c", "aXbYbZc"))
    }

    @Test func documentFieldsKeepIntegersAndDoublesApart() throws {
        let document = try DocumentFields(
            parsing: #"{"a":1,"b":1.0,"c":-2e3,"d":"x\"y","e":[1,2],"f":["s"],"g":true,"h":null,"i":{"j":[]}}"#)
        #expect(document.kinds["a"] == .integer)
        #expect(document.kinds["b"] == .double)
        #expect(document.kinds["c"] == .double)
        #expect(document.kinds["d"] == .string)
        #expect(document.strings["d"] == "x\"y")
        #expect(document.kinds["e"] == .array(.integer))
        #expect(document.kinds["f"] == .array(.string))
        #expect(document.kinds["g"] == .boolean)
        #expect(document.kinds["h"] == DocumentFields.Kind.null)
        #expect(document.kinds["i"] == .object)
        #expect(document.integers["a"] == 1)
        #expect(throws: DocumentFields.ParseError.self) { try DocumentFields(parsing: #"{"a":}"#) }
    }

    @Test func theCheckListsMissingAndUnaggregatableFields() throws {
        let document = try DocumentFields(
            parsing: #"{"@timestamp":"2026-11-21T18:00:00.123Z","type":"app","memstats.Sys":5,"message":"hi"}"#)
        func use(_ field: String, _ need: KibanaSavedObjects.Need) -> KibanaSavedObjects.FieldUse {
            .init(field: field, need: need, visualization: "v", usage: "avg agg 1")
        }
        let check = DashboardFieldCheck(
            uses: [
                use("memstats.Sys", .numeric), use("memstats.Nope", .numeric), use("message", .numeric),
                use("memstats.Sys", .keyword), use("type", .keyword), use("@timestamp", .date),
                use("goroutines", .numeric),
            ],
            documents: [document], mapping: try shippedTemplate(), userExported: ["goroutines"])
        let problems = check.problems()
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("memstats.Nope") && $0.contains("not in any") })
        #expect(problems.contains { $0.hasPrefix("message") && $0.contains("not a number") })
        #expect(problems.contains { $0.hasPrefix("memstats.Sys (keyword") && $0.contains("cannot serve") })
        let conflicting = try DocumentFields(parsing: #"{"reader":"self","reader.self.polls_ok":1}"#)
        let documentProblems = DashboardFieldCheck(uses: [], documents: [conflicting], mapping: try shippedTemplate())
            .documentProblems()
        #expect(documentProblems.count == 1 && documentProblems[0].contains("reader.self.polls_ok"))
    }
}
