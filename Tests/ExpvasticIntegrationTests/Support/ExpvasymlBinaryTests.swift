import ExpvasticTestSupport
import Foundation
import Testing

@Suite("ExpvasymlBinary: the built command")
struct ExpvasymlBinaryTests {
    @Test("the binary is found next to the tests")
    func binaryIsFound() throws {
        let url = try ExpvasymlBinary.url()
        #expect(url.lastPathComponent == "expvasyml")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test("expvasyml --version runs, exits 0 and says something")
    func versionRuns() async throws {
        let result = try await ExpvasymlBinary.run(arguments: ["--version"], timeout: .seconds(20))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!(result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
