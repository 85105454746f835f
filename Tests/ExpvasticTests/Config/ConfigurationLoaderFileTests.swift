import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct ConfigurationLoaderFileTests {
    /// Runs `body` in a fresh directory, removed afterwards; on the background threads, since every step
    /// is file I/O (Foundation's writes may fsync).
    func withDirectory(_ body: (String) throws -> Void) async throws {
        try await Blocking.onBackgroundThreads {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "expvastic-cfg-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            try body(directory.path)
        }
    }

    @Test func extensionMayBeLeftOut() async throws {
        try await withDirectory { directory in
            try Data(specExample.utf8).write(to: URL(fileURLWithPath: directory + "/expvastic.yml"))
            #expect(ConfigurationLoader.resolve(path: directory + "/expvastic") == directory + "/expvastic.yml")
            #expect(
                ConfigurationLoader.load(path: directory + "/expvastic", environment: [:], strict: false).configuration
                    != nil)
            try Data(specExample.utf8).write(to: URL(fileURLWithPath: directory + "/other.yaml"))
            #expect(ConfigurationLoader.resolve(path: directory + "/other") == directory + "/other.yaml")
            #expect(ConfigurationLoader.resolve(path: directory + "/missing") == nil)
        }
    }

    @Test func aFileWinsOverADirectoryOfTheSameStem() async throws {
        try await withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/expvastic", withIntermediateDirectories: true)
            try Data(specExample.utf8).write(to: URL(fileURLWithPath: directory + "/expvastic.yml"))
            #expect(ConfigurationLoader.resolve(path: directory + "/expvastic") == directory + "/expvastic.yml")
        }
    }

    @Test func missingFileIsOneError() async throws {
        try await withDirectory { directory in
            let result = ConfigurationLoader.load(path: directory + "/nope", environment: [:], strict: false)
            #expect(result.diagnostics.count == 1)
            #expect(result.errors.first?.code == .fileNotFound)
            #expect(result.errors.first?.description.contains("nope.yml, ") == true)
        }
    }

    @Test func emptyFileAndDirectoryAreOneErrorEach() async throws {
        try await withDirectory { directory in
            try Data("  \n".utf8).write(to: URL(fileURLWithPath: directory + "/empty.yml"))
            let empty = ConfigurationLoader.load(path: directory + "/empty.yml", environment: [:], strict: false)
            #expect(empty.diagnostics.map(\.code) == [.fileEmpty])
            try FileManager.default.createDirectory(atPath: directory + "/dir.yml", withIntermediateDirectories: true)
            let folder = ConfigurationLoader.load(path: directory + "/dir.yml", environment: [:], strict: false)
            #expect(folder.diagnostics.map(\.code) == [.fileUnreadable])
        }
    }
}
