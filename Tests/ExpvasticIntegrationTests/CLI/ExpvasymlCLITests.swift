import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct ExpvasymlCLITests {
    @Test func checkPrintsThePlanForTheSpecExample() async throws {
        try await withTemporaryDirectory { directory in
            try await write(specExample, to: directory + "/expvastic.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "expvastic.yml", "--check"], in: directory)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.isEmpty)
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("  FirstApp -> main_elasticsearch"))
            #expect(lines.contains("plan (1 engine):"))
        }
    }

    @Test func configFileWithoutExtension() async throws {
        try await withTemporaryDirectory { directory in
            try await write(specExample, to: directory + "/expvastic.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "expvastic", "--check"], in: directory)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("FirstApp -> main_elasticsearch"))
        }
    }

    @Test func everyMistakeIsReportedWithItsPath() async throws {
        let broken = """
            readers:
              FirstApp:
                type: expvar
                type_name: my_app1
                endpoint: localhost:1234
                interval: 2
                timeout: 3s
                timeout: 4s
              Other:
                type: expvr
            recorders:
              main_elasticsearch:
                type: elasticsearch
                endpoint: 127.0.0.1:9200
            routes:
              route1:
                readers: [FirstApp, SecondApp]
                recorders: [main_elasticsearch]
            """
        try await withTemporaryDirectory { directory in
            try await write(broken, to: directory + "/broken.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "broken.yml", "--check"], in: directory)
            #expect(outcome.status == 78)
            #expect(outcome.stdout.isEmpty)
            let lines = outcome.stderrLines
            let expected = [
                "error: readers.FirstApp.timeout: duplicate key (line 8; first written at line 7) (keep only one)",
                "error: readers.FirstApp.interval: \"2\" has no unit (try 2s)",
                "error: readers.Other.type: unknown reader type \"expvr\" (did you mean expvar? reader types: expvar, self, prometheus)",
                "error: recorders.main_elasticsearch.index_name: missing required key (e.g. index_name: expvastic-%{+yyyy.MM.dd})",
                "error: routes.route1.readers: unknown reader \"SecondApp\" (defined readers: FirstApp, Other)",
            ]
            for line in expected { #expect(lines.contains(line), "missing \(line) in \(lines)") }
            #expect(lines.count == expected.count, "\(lines)")
        }
    }

    @Test func yamlSyntaxErrorNamesLineAndColumn() async throws {
        try await withTemporaryDirectory { directory in
            try await write(
                "readers:\n  app:\n    type: self\n  bad: [unclosed\nrecorders: {}\n", to: directory + "/bad.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "bad.yml", "--check"], in: directory)
            #expect(outcome.status == 78)
            #expect(outcome.stderrLines.count == 1)
            #expect(outcome.stderr.hasPrefix("error: YAML syntax error at line 5, column 10: "), "\(outcome.stderr)")
        }
    }

    @Test func misspeltKeyGetsASuggestion() async throws {
        try await withTemporaryDirectory { directory in
            try await write(
                "settings:\n  debug_evel: info\n"
                    + specExample.split(separator: "\n").dropFirst(2).joined(separator: "\n"), to: directory + "/c.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "c.yml", "--check"], in: directory)
            #expect(outcome.status == 0)
            #expect(outcome.stderrLines == ["warning: settings.debug_evel: unknown key; did you mean log_level?"])
            let strict = try await ExpvasymlProcess.run(["-c", "c.yml", "--check", "--strict"], in: directory)
            #expect(strict.status == 78)
            #expect(strict.stderrLines == ["error: settings.debug_evel: unknown key; did you mean log_level?"])
        }
    }

    @Test func missingFileIsOneLine() async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await ExpvasymlProcess.run(["-c", "nope", "--check"], in: directory)
            #expect(outcome.status == 78)
            #expect(
                outcome.stderrLines == [
                    "error: configuration file \"nope\" not found (also tried nope.yml, nope.yaml)"
                ])
        }
    }

    @Test func unreadableFileIsOneLine() async throws {
        try await withTemporaryDirectory { directory in
            try await Blocking.run {
                try FileManager.default.createDirectory(
                    atPath: directory + "/folder.yml", withIntermediateDirectories: true)
            }
            let folder = try await ExpvasymlProcess.run(["-c", "folder.yml"], in: directory)
            #expect(folder.status == 78)
            #expect(folder.stderrLines == ["error: configuration file \"folder.yml\" is a directory, not a file"])
            if geteuid() != 0 {
                try await write(specExample, to: directory + "/locked.yml")
                try await Blocking.run {
                    try FileManager.default.setAttributes(
                        [.posixPermissions: 0], ofItemAtPath: directory + "/locked.yml")
                }
                let locked = try await ExpvasymlProcess.run(["-c", "locked.yml"], in: directory)
                #expect(locked.status == 78)
                #expect(
                    locked.stderrLines == [
                        "error: configuration file \"locked.yml\" cannot be read (permission denied)"
                    ])
            }
            try await Blocking.run {
                try Data([0xFF, 0xFE, 0x00, 0x41, 0x3A, 0x0A, 0xC3]).write(
                    to: URL(fileURLWithPath: directory + "/binary.yml"))
            }
            let binary = try await ExpvasymlProcess.run(["-c", "binary.yml"], in: directory)
            #expect(binary.status == 78)
            #expect(binary.stderrLines.count == 1)
        }
    }

    @Test func emptyFileIsOneLine() async throws {
        try await withTemporaryDirectory { directory in
            try await write("", to: directory + "/empty.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "empty.yml"], in: directory)
            #expect(outcome.status == 78)
            #expect(outcome.stderrLines.count == 1)
            #expect(outcome.stderr.hasPrefix("error: configuration file \"empty.yml\" is empty"))
        }
    }

    @Test(arguments: [["--bogus"], ["-c"], ["-c", "x", "--check", "--once"], ["stray"], []])
    func usageErrorsExit64(arguments: [String]) async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await ExpvasymlProcess.run(arguments, in: directory)
            #expect(outcome.status == 64)
            #expect(outcome.stderrLines.count == 1)
            #expect(outcome.stderr.hasPrefix("expvasyml: "))
        }
    }

    @Test func versionAndHelp() async throws {
        try await withTemporaryDirectory { directory in
            let version = try await ExpvasymlProcess.run(["--version"], in: directory)
            #expect(version.status == 0)
            #expect(version.stdout.hasPrefix("expvasyml "))
            let help = try await ExpvasymlProcess.run(["--help"], in: directory)
            #expect(help.status == 0)
            #expect(help.stdout.contains("-c, --config FILE"))
            #expect(help.stdout.contains("Exit codes"))
        }
    }

    @Test func flagModeCheckUsesEnvironmentAndFlags() async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await ExpvasymlProcess.run(
                ["-recorder", "http://127.0.0.1:9200", "-int", "2s", "--check"], in: directory,
                environment: ["READER": "localhost:1234", "INT": "9s"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("localhost:1234: expvar http://localhost:1234/debug/vars"))
            #expect(outcome.stdout.contains("interval 2s"))
            let bad = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "-int", "2"], in: directory)
            #expect(bad.status == 78)
            #expect(bad.stderrLines == ["error: -int: \"2\" has no unit (try 2s)"])
        }
    }

    @Test func checkMasksSecretsFromTheEnvironment() async throws {
        let yaml = specExample.replacingOccurrences(
            of: "    timeout: 8s\n", with: "    timeout: 8s\n    username: elastic\n    password: ${ES_PASSWORD}\n")
        try await withTemporaryDirectory { directory in
            try await write(yaml, to: directory + "/c.yml")
            let outcome = try await ExpvasymlProcess.run(
                ["-c", "c.yml", "--check"], in: directory, environment: ["ES_PASSWORD": "correct-horse"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.contains("password ******"))
            #expect(!outcome.stdout.contains("correct-horse"))
            let unset = try await ExpvasymlProcess.run(["-c", "c.yml", "--check"], in: directory)
            #expect(unset.status == 78)
            #expect(unset.stderr.contains("ES_PASSWORD is not set"))
        }
    }

    @Test func shippedConfigurationPassesCheck() async throws {
        let root = try Self.repositoryRoot()
        let outcome = try await ExpvasymlProcess.run(["-c", root + "/expvastic", "--check"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("  expvastic_self -> file_output, local_elasticsearch"))
    }

    @Test func runModeReachesTheLauncher() async throws {
        try await withTemporaryDirectory { directory in
            let yaml = """
                readers:
                  me: {type: self}
                recorders:
                  out: {type: file, path: ./out.ndjson}
                routes:
                  r: {readers: me, recorders: out}
                """
            try await write(yaml, to: directory + "/expvastic.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "expvastic", "--once"], in: directory)
            // The launcher decides the code; a valid configuration must get past loading (not 64/78).
            #expect(outcome.status != 64 && outcome.status != 78, "\(outcome.stderr)")
        }
    }

    /// The package root: `EXPVASTIC_REPO_ROOT`, else found from this source file's location.
    static func repositoryRoot() throws -> String {
        if let root = ProcessInfo.processInfo.environment["EXPVASTIC_REPO_ROOT"] { return root }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let manifest = url.appendingPathComponent("Package.swift").path
        try #require(FileManager.default.fileExists(atPath: manifest), "no Package.swift at \(manifest)")
        return url.path
    }
}
