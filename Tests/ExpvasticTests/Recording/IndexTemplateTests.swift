import Foundation
import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

@Suite struct IndexTemplateTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func object(_ template: IndexTemplate) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(template.body)) as? [String: Any])
    }

    func mappings(_ template: IndexTemplate) throws -> [String: Any] {
        let root = try object(template)
        switch template.kind {
        case .composable: return try #require((root["template"] as? [String: Any])?["mappings"] as? [String: Any])
        case .legacy: return try #require(root["mappings"] as? [String: Any])
        case .legacyWithDocumentType:
            return try #require((root["mappings"] as? [String: Any])?["_doc"] as? [String: Any])
        }
    }

    @Test func namesAndPaths() throws {
        let name = try IndexName("expvastic-%{+yyyy.MM.dd}")
        let composable = IndexTemplate(indexName: name, kind: .composable)
        #expect(composable.indexPattern == "expvastic-*")
        #expect(composable.name == "expvastic")
        #expect(composable.path == "/_index_template/expvastic")
        #expect(IndexTemplate(indexName: name, kind: .legacy).path == "/_template/expvastic")
        #expect(IndexTemplate(indexPattern: "metrics", kind: .composable).name == "metrics-exact")
    }

    /// `coll` and `coll-%{+yyyy.MM.dd}` used to install the same `coll` template, the last one
    /// winning: the other index got dynamic mappings.
    @Test func plainAndDatedIndexNamesWithOneBaseGetDifferentTemplates() throws {
        let plain = IndexTemplate(indexName: try IndexName("coll"), kind: .composable)
        let dated = IndexTemplate(indexName: try IndexName("coll-%{+yyyy.MM.dd}"), kind: .composable)
        #expect(plain.indexPattern == "coll")
        #expect(dated.indexPattern == "coll-*")
        #expect(plain.path == "/_index_template/coll-exact")
        #expect(dated.path == "/_index_template/coll")
    }

    @Test func aClaimedNameIsRefusedOnlyForAnotherPatternOnTheSameCluster() {
        let claims = IndexTemplateClaims()
        let cluster = "http://127.0.0.1:9200"
        #expect(claims.claim(name: "coll", cluster: cluster, pattern: "coll-*", recorder: "a") == nil)
        #expect(claims.claim(name: "coll", cluster: cluster, pattern: "coll-*", recorder: "a") == nil)
        // The same pattern is the same template: installing it again changes nothing.
        #expect(claims.claim(name: "coll", cluster: cluster, pattern: "coll-*", recorder: "b") == nil)
        #expect(
            claims.claim(name: "coll", cluster: cluster, pattern: "coll*", recorder: "c")
                == IndexTemplateClaims.Claim(recorder: "b", pattern: "coll-*"))
        #expect(claims.claim(name: "coll", cluster: "http://other:9200", pattern: "coll*", recorder: "c") == nil)
    }

    @Test(arguments: IndexTemplate.Kind.allCases)
    func mapsFieldsAsSpecified(_ kind: IndexTemplate.Kind) throws {
        let template = IndexTemplate(indexPattern: "expvastic-*", kind: kind)
        let root = try object(template)
        #expect(root["index_patterns"] as? [String] == ["expvastic-*"])
        let mappings = try mappings(template)
        #expect(mappings["date_detection"] as? Bool == false)
        let properties = try #require(mappings["properties"] as? [String: [String: Any]])
        #expect(properties["@timestamp"]?["type"] as? String == "date")
        for keyword in ["type", "reader", "endpoint"] { #expect(properties[keyword]?["type"] as? String == "keyword") }
        let rules = try #require(mappings["dynamic_templates"] as? [[String: [String: Any]]])
        let names = rules.compactMap { $0.keys.first }
        #expect(
            names == [
                "prometheus_labels", "go_gc_cpu_fraction", "go_gc_pause_averages", "go_runtime_integers",
                "numbers_as_double",
                "floats_as_double", "strings_as_keyword",
            ])
        func rule(_ name: String) -> [String: Any]? { rules.first { $0[name] != nil }?[name] }
        func mappedType(_ name: String) -> String? { (rule(name)?["mapping"] as? [String: Any])?["type"] as? String }
        #expect(rule("go_runtime_integers")?["path_match"] as? String == "memstats.*")
        #expect(rule("go_runtime_integers")?["match_mapping_type"] as? String == "long")
        #expect(mappedType("go_runtime_integers") == "long")
        #expect(mappedType("go_gc_cpu_fraction") == "double")
        #expect(mappedType("go_gc_pause_averages") == "double")
        #expect(mappedType("numbers_as_double") == "double")
        #expect(rule("numbers_as_double")?["match_mapping_type"] as? String == "long")
        #expect(mappedType("floats_as_double") == "double")
        #expect(mappedType("strings_as_keyword") == "keyword")
        // No ignore_malformed anywhere: a bad value goes to the dead-letter file, visibly.
        #expect(!template.bodyText.contains("ignore_malformed"))
        #expect(template.bodyText.contains(#""index.mapping.total_fields.limit": 2000"#))
    }

    @Test func composableHasPriorityAndLegacyHasOrder() throws {
        #expect(try object(IndexTemplate(indexPattern: "x-*", kind: .composable))["priority"] as? Int == 200)
        #expect(try object(IndexTemplate(indexPattern: "x-*", kind: .legacy))["order"] as? Int == 1)
    }

    /// Regenerate with `EXPVASTIC_WRITE_TEMPLATES=1 swift test --filter IndexTemplateTests`.
    @Test func dashboardFilesMatchTheCode() throws {
        let directory = Self.repositoryRoot.appendingPathComponent("dashboards")
        if ProcessInfo.processInfo.environment["EXPVASTIC_WRITE_TEMPLATES"] == "1" {
            try IndexTemplate(indexPattern: "expvastic-*", kind: .composable).bodyText.write(
                to: directory.appendingPathComponent("index-template-composable.json"), atomically: true,
                encoding: .utf8)
            try IndexTemplate(indexPattern: "expvastic-*", kind: .legacy).bodyText.write(
                to: directory.appendingPathComponent("index-template-legacy.json"), atomically: true, encoding: .utf8)
        }
        let composable = try String(
            contentsOf: directory.appendingPathComponent("index-template-composable.json"), encoding: .utf8)
        let legacy = try String(
            contentsOf: directory.appendingPathComponent("index-template-legacy.json"), encoding: .utf8)
        #expect(composable == IndexTemplate(indexPattern: "expvastic-*", kind: .composable).bodyText)
        #expect(legacy == IndexTemplate(indexPattern: "expvastic-*", kind: .legacy).bodyText)
    }
}
