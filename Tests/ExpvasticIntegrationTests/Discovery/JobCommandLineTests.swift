import ExpvasticTestSupport
import Foundation
import Testing

/// `--check` and `--once` with a job whose target comes from a file_sd file.
@Suite struct JobCommandLineTests {
    @Test func checkListsTheSourcesAndOncePollsEveryDiscoveredTarget() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        try await withTemporaryDirectory { directory in
            let address = program.endpoint
            try #"[{"targets": ["\#(address)"], "labels": {"env": "prod"}}]"#.write(
                toFile: directory + "/targets.json", atomically: true, encoding: .utf8)
            let yaml = """
                readers:
                  api:
                    type: expvar
                    type_name: goapp
                    targets:
                      - file: {paths: [./*.json], refresh: 10s}
                recorders:
                  out: {type: file, path: ./out.ndjson}
                routes:
                  r: {readers: api, recorders: out}
                """
            try yaml.write(toFile: directory + "/expvastic.yml", atomically: true, encoding: .utf8)
            let check = try await ExpvasymlProcess.run(["-c", "expvastic", "--check"], in: directory)
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("  api: expvar job (1 target source)"), "\(check.stdout)")
            #expect(check.stdout.contains("    targets: file ./*.json every 10s"), "\(check.stdout)")
            let once = try await ExpvasymlProcess.run(["-c", "expvastic", "--once"], in: directory)
            #expect(once.status == 0, "\(once.stderr)")
            let document = try #require(once.stdout.split(separator: "\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
            #expect(object["reader"] as? String == "api")
            #expect(object["endpoint"] as? String == "http://\(address)/debug/vars")
            #expect(object["labels.env"] as? String == "prod")
            #expect(object["memstats.HeapAlloc"] != nil)
        }
    }
}
