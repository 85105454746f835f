import Testing

@testable import Expvastic

/// Which field a refused item's error blames, for the reasons Elasticsearch 6.8–8.x, OpenSearch and
/// osmem-server write (the texts below are copied from their answers).
@Suite struct FieldRejectionTests {
    @Test(arguments: [
        (
            "mapper_parsing_exception",
            "failed to parse field [memstats.Alloc] of type [long] in document with id 'x'. Preview of field's value: "
                + "'abc' (caused by: For input string: \"abc\")",
            FieldRejection(path: "memstats.Alloc", pin: .kind(.number))
        ),
        (
            "document_parsing_exception",
            "[1:42] failed to parse field [cmdline] of type [boolean] in document with id 'x'.",
            FieldRejection(path: "cmdline", pin: .kind(.boolean))
        ),
        (
            "mapper_parsing_exception", "failed to parse field [when] of type [date] in document with id 'x'.",
            FieldRejection(path: "when", pin: .refused)
        ),
        ("mapper_parsing_exception", "failed to parse [a.b]", FieldRejection(path: "a.b", pin: .refused)),
        (
            "mapper_parsing_exception",
            "object mapping for [hosts.db1] tried to parse field [db1] as object, but found a concrete value",
            FieldRejection(path: "hosts.db1", pin: .kind(.object))
        ),
        (
            "mapper_parsing_exception",
            "Could not dynamically add mapping for field [h.z]. Existing mapping for [h] must be of type object but "
                + "found [keyword].",
            FieldRejection(path: "h", includesPath: false, pin: .kind(.string))
        ),
        (
            "illegal_argument_exception", "mapper [rate] cannot be changed from type [long] to [float]",
            FieldRejection(path: "rate", pin: .kind(.number))
        ),
        (
            "illegal_argument_exception", "mapper [n] of different type, current_type [keyword], merged_type [long]",
            FieldRejection(path: "n", pin: .kind(.string))
        ),
        (
            "illegal_argument_exception", "Can't merge a non object mapping [a] with an object mapping [a]",
            FieldRejection(path: "a", pin: .refused)
        ),
        (
            "strict_dynamic_mapping_exception",
            "mapping set to strict, dynamic introduction of [b] within [_doc] is not allowed",
            FieldRejection(path: "b", pin: .refused)
        ),
        (
            "strict_dynamic_mapping_exception",
            "[1:9] mapping set to strict, dynamic introduction of [x] within [memstats] is not allowed",
            FieldRejection(path: "memstats.x", pin: .refused)
        ),
    ])
    func blamesTheNamedField(type: String, reason: String, expected: FieldRejection) {
        #expect(FieldRejection.parse(errorType: type, reason: reason) == expected)
    }

    @Test(arguments: [
        ("illegal_argument_exception", "Limit of total fields [2000] has been exceeded"),
        ("index_not_found_exception", "no such index [x]"),
        ("mapper_parsing_exception", "failed to parse"),
        ("mapper_parsing_exception", "failed to parse field [] of type [long]"),
        ("x", ""),
    ])
    func blamesNoFieldOtherwise(type: String, reason: String) {
        #expect(FieldRejection.parse(errorType: type, reason: reason) == nil)
    }

    @Test func blamesThePathAndWhatIsNestedUnderIt() {
        let rejection = FieldRejection(path: "a.b", pin: .refused)
        #expect(rejection.blames("a.b"))
        #expect(rejection.blames("a.b.c"))
        #expect(!rejection.blames("a.bc"))
        #expect(!rejection.blames("a"))
        let nestedOnly = FieldRejection(path: "h", includesPath: false, pin: .kind(.string))
        #expect(!nestedOnly.blames("h"))
        #expect(nestedOnly.blames("h.z"))
    }

    @Test func recognisesTheFieldLimit() {
        #expect(FieldRejection.isFieldLimit(reason: "Limit of total fields [2000] has been exceeded"))
        #expect(
            FieldRejection.isFieldLimit(
                reason: "Limit of total fields [1000] has been exceeded while adding new fields [3]"))
        #expect(!FieldRejection.isFieldLimit(reason: "Limit of mapping depth [20] has been exceeded"))
        #expect(!FieldRejection.isFieldLimit(reason: nil))
    }

    @Test func readsTheMappedPathsOfEveryIndexInTheAnswer() {
        let body = #"""
            {"a-1":{"mappings":{"properties":{"x":{"type":"long"},"o":{"properties":{"y":{"type":"keyword"}}}}}},
             "a-2":{"mappings":{"_doc":{"properties":{"z":{"type":"double","fields":{"raw":{"type":"keyword"}}}}}}}}
            """#
        #expect(MappedFields.parse(Array(body.utf8)) == ["x", "o", "o.y", "z"])
        #expect(MappedFields.parse(Array(#"{"error":"x"}"#.utf8)) == nil)
        #expect(MappedFields.parse(Array("not json".utf8)) == nil)
    }
}
