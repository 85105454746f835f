import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic

@Suite struct FileTargetFetcherTests {
    let json =
        #"[{"targets": ["10.0.0.1:8080", "10.0.0.2:8080"], "labels": {"env": "prod", "__meta_x": "y"}}, {"targets": ["10.0.0.3:8080"]}]"#
    let yaml = "- targets: [10.0.1.1:8080]\n  labels:\n    zone: b\n"

    @Test func readsJSONAndYAMLFilesMatchedByAGlobInPathOrder() async throws {
        try await withTemporaryDirectory { directory in
            try json.write(toFile: directory + "/a.json", atomically: true, encoding: .utf8)
            try yaml.write(toFile: directory + "/b.yml", atomically: true, encoding: .utf8)
            try "ignored".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)
            let fetcher = FileTargetFetcher(
                paths: [directory + "/*.json", directory + "/*.yml"], executor: BlockingExecutor())
            let answer = try await fetcher.fetch()
            #expect(
                answer.targets == [
                    DiscoveredTarget(address: "10.0.0.1:8080", labels: ["env": "prod"]),
                    DiscoveredTarget(address: "10.0.0.2:8080", labels: ["env": "prod"]),
                    DiscoveredTarget(address: "10.0.0.3:8080"),
                    DiscoveredTarget(address: "10.0.1.1:8080", labels: ["zone": "b"]),
                ])
        }
    }

    @Test(arguments: [
        ("", "is empty"),
        (#"[{"targets": ["10.0.0.1:8080"]"#, "is not valid JSON"),
        (#"{"targets": []}"#, "is not a JSON list of target groups"),
        (#"[{"labels": {}}]"#, "group 0 has no \"targets\" list"),
        (#"[{"targets": [1]}]"#, "group 0 has a target that is not a string"),
        (#"[{"targets": ["a:1"], "labels": {"n": 1}}]"#, "group 0 label n is not a string"),
    ])
    func invalidContentFailsTheWholeAnswerWithTheReason(content: String, reason: String) async throws {
        try await withTemporaryDirectory { directory in
            try content.write(toFile: directory + "/t.json", atomically: true, encoding: .utf8)
            let fetcher = FileTargetFetcher(paths: [directory + "/t.json"], executor: BlockingExecutor())
            let error = await #expect(throws: DiscoveryError.self) { try await fetcher.fetch() }
            #expect(error?.code == "invalid_content")
            #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("the last good targets are kept") == true)
        }
    }

    @Test func aMissingFileFailsButAGlobMatchingNothingIsEmpty() async throws {
        try await withTemporaryDirectory { directory in
            let missing = FileTargetFetcher(paths: [directory + "/gone.json"], executor: BlockingExecutor())
            let error = await #expect(throws: DiscoveryError.self) { try await missing.fetch() }
            #expect(error?.code == "file_missing")
            let none = FileTargetFetcher(paths: [directory + "/*.json"], executor: BlockingExecutor())
            let found = try await none.fetch()
            #expect(found.targets.isEmpty)
        }
    }
}
