import Testing

@testable import Expvastic

/// Targets and recorders keep their settings in a shared box: they still behave as values.
@Suite struct DesiredStateTests {
    static func reader(_ name: String) throws -> ReaderConfiguration {
        ReaderConfiguration(
            name: name, kind: .expvar, typeName: "t", url: try Endpoint.parse("http://10.0.0.1:80/debug/vars").get())
    }

    @Test func targetsAreValues() throws {
        let original = DesiredState.Target(reader: try Self.reader("api"), recorders: ["es"], logLevel: .info)
        // Built apart with the same settings: equal.
        #expect(original == DesiredState.Target(reader: try Self.reader("api"), recorders: ["es"], logLevel: .info))
        var copy = original
        #expect(copy == original)
        copy.reader.labels = ["zone": "a"]
        #expect(copy.reader.labels == ["zone": "a"] && original.reader.labels == [:])
        #expect(copy != original)
        copy.reader.labels = [:]
        #expect(copy == original)
        for change in 0..<3 {
            var other = original
            switch change {
            case 0: other.recorders = ["es", "file"]
            case 1: other.logLevel = .debug
            default: other.discovered = true
            }
            #expect(other != original)
            #expect(original.recorders == ["es"] && original.logLevel == .info && !original.discovered)
        }
    }

    @Test func recordersAreValues() {
        let configuration = RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/a")))
        let original = DesiredState.Recorder(configuration: configuration, logLevel: .info)
        #expect(original == DesiredState.Recorder(configuration: configuration, logLevel: .info))
        var copy = original
        copy.configuration = RecorderConfiguration(name: "out", kind: .file(FileRecorderConfiguration(path: "/b")))
        #expect(copy != original && original.configuration == configuration)
        copy.configuration = configuration
        #expect(copy == original)
        copy.logLevel = .warn
        #expect(copy != original && original.logLevel == .info)
    }
}
