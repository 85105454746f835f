import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct ConfigurationLoaderMapFileTests {
    /// A fresh directory holding `files`, removed after `body`.
    /// A fresh directory holding `files`, removed after `body`; on the background threads, since every
    /// step is file I/O (Foundation's writes may fsync).
    func withDirectory(_ files: [String: String], _ body: (String) throws -> Void) async throws {
        try await Blocking.onBackgroundThreads {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "expvastic-map-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            for (name, text) in files {
                let url = directory.appendingPathComponent(name)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            try body(directory.path)
        }
    }

    func reader(mapFile: String) -> String {
        configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    map_file: \(mapFile)")
    }

    @Test func loadsRelativeToTheConfigurationDirectoryAndMergesOverDefaults() async throws {
        let map = """
            memory_bytes:
              memstats.HeapAlloc: mb
              memstats.Sys: GB
              "custom.*.bytes": kb
            gc_types: [memstats.PauseNs, custom.pauses]
            """
        try await withDirectory(["maps/app.yml": map]) { directory in
            let result = loadConfiguration(reader(mapFile: "maps/app.yml"), baseDirectory: directory)
            let loaded = try #require(result.configuration?.readers.first, "\(result.diagnostics)")
            #expect(loaded.mapFile == directory + "/maps/app.yml")
            #expect(loaded.fieldMap.memoryBytes["memstats.HeapAlloc"] == .mb)
            #expect(loaded.fieldMap.memoryBytes["memstats.Sys"] == .gb)
            #expect(loaded.fieldMap.memoryBytes["custom.*.bytes"] == .kb)
            #expect(loaded.fieldMap.gcTypes == FieldMap.defaults.gcTypes + ["memstats.PauseNs", "custom.pauses"])
        }
    }

    @Test func mergeKeepsBaseEntriesAndLetsTheFileWin() {
        let base = FieldMap(memoryBytes: ["a": .b, "b": .kb], gcTypes: ["x"])
        let file = FieldMap(memoryBytes: ["b": .gb, "c": .mb], gcTypes: ["x", "y"])
        let merged = file.merged(over: base)
        #expect(merged.memoryBytes == ["a": .b, "b": .gb, "c": .mb])
        #expect(merged.gcTypes == ["x", "y"])
    }

    @Test func missingFileIsAnError() async throws {
        try await withDirectory([:]) { directory in
            let result = loadConfiguration(reader(mapFile: "nope.yml"), baseDirectory: directory)
            #expect(result.configuration == nil)
            #expect(result.errors.map(\.code) == [.mapFile])
            #expect(result.errors.first?.path == "readers.app.map_file")
            #expect(result.errors.first?.message.contains("nope.yml\" not found") == true)
        }
    }

    @Test(arguments: [
        ("memory_bytes:\n  memstats.HeapAlloc: parsecs\n", "has unit \"parsecs\""),
        ("memory_bytes: [a, b]\n", "memory_bytes must be a mapping"),
        ("gc_types: {a: b}\n", "gc_types must be a list"),
        ("memory_bytes: {a: [b\n", "YAML syntax error at line 2"),
        ("# empty\n", "is empty"),
        ("memory_bytes:\n  a: b\n  a: kb\n", "duplicate key memory_bytes.a (line 3"),
    ])
    func invalidFileIsAnError(text: String, fragment: String) async throws {
        try await withDirectory(["map.yml": text]) { directory in
            let result = loadConfiguration(reader(mapFile: "map.yml"), baseDirectory: directory)
            #expect(result.configuration == nil)
            let error = try #require(result.errors.first)
            #expect(error.code == .mapFile)
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func unknownKeyInMapFileWarns() async throws {
        try await withDirectory(["map.yml": "memory_byte: {a: b}\n"]) { directory in
            let result = loadConfiguration(reader(mapFile: "map.yml"), baseDirectory: directory)
            #expect(result.configuration != nil)
            #expect(result.warnings.first?.message.contains("did you mean memory_bytes?") == true)
        }
    }
}
