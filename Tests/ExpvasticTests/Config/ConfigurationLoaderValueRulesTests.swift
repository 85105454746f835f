import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// One rule for every size key and one for every list key (README "Value syntax").
@Suite struct ConfigurationLoaderValueRulesTests {
    /// A configuration with `key: value` set on the reader (`reader.`) or on a recorder of `type`.
    func yaml(_ key: String, _ value: String, on component: String) -> String {
        switch component {
        case "reader":
            configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    \(key): \(value)")
        case "file":
            configuration(recorder: "type: file\n    path: ./out.ndjson\n    \(key): \(value)")
        default:
            configuration(
                recorder: "type: elasticsearch\n    endpoint: h:2\n    index_name: x\n    \(key): \(value)")
        }
    }

    /// The size a key was loaded as.
    func loadedSize(_ configuration: Configuration, _ key: String) -> Int? {
        switch key {
        case "max_body_bytes": return configuration.readers.first?.maxBodyBytes
        default: break
        }
        switch configuration.recorders.first?.kind {
        case .file(let file)?: return file.maxBytes
        case .elasticsearch(let es)?: return key == "bulk_max_bytes" ? es.bulkMaxBytes : es.spoolMaxBytes
        case nil: return nil
        }
    }

    static let sizeKeys = [
        ("max_body_bytes", "reader"), ("max_bytes", "file"), ("bulk_max_bytes", "elasticsearch"),
        ("spool_max_bytes", "elasticsearch"),
    ]

    @Test(arguments: sizeKeys)
    func everySizeKeyTakesTheSameSpellings(key: String, component: String) throws {
        for (text, bytes) in [
            ("10 MB", 10_000_000), ("10MB", 10_000_000), ("10mb", 10_000_000), ("10MiB", 10 << 20),
            ("10 mib", 10 << 20), ("\"2 KiB\"", 2048), ("1048576", 1 << 20), ("1.5KiB", 1536),
        ] {
            let result = loadConfiguration(yaml(key, text, on: component))
            let loaded = try #require(result.configuration, "\(key): \(text): \(result.diagnostics)")
            #expect(result.diagnostics.isEmpty, "\(key): \(text): \(result.diagnostics)")
            #expect(loadedSize(loaded, key) == bytes, "\(key): \(text)")
        }
    }

    @Test(arguments: sizeKeys)
    func everySizeKeyRejectsTheSameMistakesWithAHint(key: String, component: String) {
        let path = component == "reader" ? "readers.app.\(key)" : "recorders.es.\(key)"
        let cases = [
            ("10M", "\(path): \"10M\" has the ambiguous unit \"m\" (write 10MB for ×1000 or 10MiB for ×1024)"),
            (
                "10 parsecs",
                "\(path): \"10 parsecs\" has unknown unit \"parsecs\" (use bytes or a unit: 512KB, 5MiB, 1GiB)"
            ),
            ("0", "\(path): \"0\" must be greater than zero"),
            ("[1, 2]", "\(path): expected a size such as 5MiB, got a list"),
        ]
        for (text, message) in cases {
            let result = loadConfiguration(yaml(key, text, on: component))
            #expect(result.configuration == nil)
            #expect(result.errors.map(\.description) == [message], "\(key): \(text)")
        }
    }

    @Test func checkShowsASizeTheWayItWasWritten() throws {
        #expect(ByteSize.format(10_000_000) == "10MB")
        #expect(ByteSize.format(10_000_000_000) == "10GB")
        #expect(ByteSize.format(100 << 20) == "100MiB")
        let result = loadConfiguration(yaml("max_bytes", "10 MB", on: "file"))
        let report = CheckReport(configuration: try #require(result.configuration)).lines
        #expect(report.contains("  es: file ./out.ndjson, index_name expvastic, rotate at 10MB, keep 5"), "\(report)")
    }

    /// Every list key, with the path its error is reported at.
    static let listKeys = [
        ("include", "readers.app.include"), ("exclude", "readers.app.exclude"),
        ("readers", "routes.route1.readers"), ("recorders", "routes.route1.recorders"),
        ("endpoints", "recorders.es.endpoints"),
    ]

    func yaml(listKey key: String, _ value: String) -> String {
        switch key {
        case "include", "exclude":
            yaml(key, value, on: "reader")
        case "endpoints":
            configuration(recorder: "type: elasticsearch\n    index_name: x\n    endpoints: \(value)")
        case "readers":
            configuration(routes: "route1:\n    readers: \(value)\n    recorders: [es]")
        default:
            configuration(routes: "route1:\n    readers: [app]\n    recorders: \(value)")
        }
    }

    /// The list a key was loaded as.
    func loadedList(_ configuration: Configuration, _ key: String) -> [String]? {
        switch key {
        case "include": configuration.readers.first?.include
        case "exclude": configuration.readers.first?.exclude
        case "readers": configuration.routes.first?.readers
        case "recorders": configuration.routes.first?.recorders
        default:
            configuration.recorders.first.flatMap {
                if case .elasticsearch(let es) = $0.kind { es.endpoints.map(\.host) } else { nil }
            }
        }
    }

    @Test(arguments: listKeys)
    func everyListKeyTakesOneStringAsAOneElementList(key: String, path: String) throws {
        let value = ["include": "memstats.*", "exclude": "memstats.*", "readers": "app", "recorders": "es"][key] ?? "h"
        for written in [value, "[\(value)]", "\"\(value)\""] {
            let result = loadConfiguration(yaml(listKey: key, written))
            let loaded = try #require(result.configuration, "\(key): \(written): \(result.diagnostics)")
            #expect(result.diagnostics.isEmpty, "\(key): \(written): \(result.diagnostics)")
            #expect(loadedList(loaded, key) == [value], "\(key): \(written)")
        }
    }

    @Test(arguments: listKeys)
    func everyListKeyRejectsACommaSeparatedString(key: String, path: String) {
        let value = ["include": "a.*, b.*", "exclude": "a.*, b.*", "readers": "app, app2", "recorders": "es, es2"][key]
        let written = value ?? "h:1, h:2"
        let result = loadConfiguration(yaml(listKey: key, "\"\(written)\""))
        #expect(result.configuration == nil)
        let items = written.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(
            result.errors.map(\.description) == [
                "\(path): \"\(written)\" is one string, not a list (write a list: [\(items.joined(separator: ", "))])"
            ], "\(key)")
    }

    @Test func gcTypesFollowTheListRule() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-rules") { directory in
            try await Blocking.run {
                try Data("gc_types: custom.pauses\n".utf8).write(to: URL(fileURLWithPath: directory + "/one.yml"))
                try Data("gc_types: \"a.p, b.p\"\n".utf8).write(to: URL(fileURLWithPath: directory + "/comma.yml"))
            }
            let one = loadConfiguration(yaml("map_file", "one.yml", on: "reader"), baseDirectory: directory)
            let reader = try #require(one.configuration?.readers.first, "\(one.diagnostics)")
            #expect(reader.fieldMap.gcTypes.contains("custom.pauses"))
            let comma = loadConfiguration(yaml("map_file", "comma.yml", on: "reader"), baseDirectory: directory)
            #expect(
                comma.errors.map(\.description) == [
                    "readers.app.map_file: map file \"\(directory)/comma.yml\": gc_types \"a.p, b.p\" is one string, "
                        + "not a list (write a list: [a.p, b.p])"
                ])
        }
    }
}
