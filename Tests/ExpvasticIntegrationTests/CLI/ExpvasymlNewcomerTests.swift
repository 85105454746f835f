import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a newcomer sees on the terminal (issue 18): the built binary's exit codes, stdout and stderr.
@Suite struct ExpvasymlNewcomerTests {
    @Test func aRouteNamingAnUnknownRecorderGivesOnlyThatError() async throws {
        let yaml = """
            readers:
              app: {type: self}
            recorders:
              out: {type: file, path: ./out.ndjson}
            routes:
              route1: {readers: [app], recorders: [out, elastic]}
            """
        try await withTemporaryDirectory { directory in
            try await write(yaml, to: directory + "/c.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "c.yml", "--check"], in: directory)
            #expect(outcome.status == 78)
            #expect(
                outcome.stderrLines == [
                    "error: routes.route1.recorders: unknown recorder \"elastic\" (defined recorders: out)"
                ])
        }
    }

    @Test func aTabInIndentationIsNamedWithItsLine() async throws {
        try await withTemporaryDirectory { directory in
            try await write(
                "readers:\n  app:\n    type: self\n\tinterval: 1s\nrecorders: {}\n", to: directory + "/tabs.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "tabs.yml", "--check"], in: directory)
            #expect(outcome.status == 78)
            #expect(
                outcome.stderrLines == [
                    "error: YAML syntax error at line 4: tabs are not allowed in YAML indentation; use spaces"
                ])
        }
    }

    @Test func checkCountsItsWarningsAndShowsSizesAsWritten() async throws {
        let yaml = """
            readers:
              app: {type: self, intervall: 5s}
              spare: {type: self}
            recorders:
              out: {type: file, path: ./out.ndjson, max_bytes: 10 MB}
            routes:
              route1: {readers: [app], recorders: [out]}
            """
        try await withTemporaryDirectory { directory in
            try await write(yaml, to: directory + "/c.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "c.yml", "--check"], in: directory)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(
                outcome.stderrLines == [
                    "warning: readers.app.intervall: unknown key; did you mean interval?",
                    "warning: readers.spare: not used by any route; it is validated but not run (add it to a route or remove it)",
                ])
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(
                lines.first
                    == "configuration is valid, 2 warnings (use --strict to make them errors): 2 readers, 1 recorder, 1 route"
            )
            #expect(
                lines.contains("  out: file ./out.ndjson, index_name expvastic, rotate at 10MB, keep 5"), "\(lines)")
        }
    }

    @Test func flagModeShowsAndTakesTheMonitoringAddress() async throws {
        try await withTemporaryDirectory { directory in
            let help = try await ExpvasymlProcess.run(["--help"], in: directory)
            #expect(help.stdout.contains("-listen HOST:PORT   monitoring endpoint, default 127.0.0.1:9800"))
            #expect(help.stdout.contains("spools into ./data/spool/elasticsearch"))
            let defaults = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "--check"], in: directory)
            #expect(defaults.status == 0, "\(defaults.stderr)")
            #expect(defaults.stdout.contains(", http 127.0.0.1:9800 (retention 5m)"), "\(defaults.stdout)")
            #expect(defaults.stdout.contains("spool_dir ./data/spool/elasticsearch"), "\(defaults.stdout)")
            let flag = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "-listen", "127.0.0.1:9911", "--check"], in: directory,
                environment: ["LISTEN": "127.0.0.1:9912"])
            #expect(flag.stdout.contains(", http 127.0.0.1:9911 (retention 5m)"), "\(flag.stdout)")
            let variable = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "--check"], in: directory,
                environment: ["LISTEN": "127.0.0.1:9912"])
            #expect(variable.stdout.contains(", http 127.0.0.1:9912 (retention 5m)"), "\(variable.stdout)")
            let off = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "-listen", "", "--check"], in: directory)
            #expect(off.stdout.contains(", http disabled"), "\(off.stdout)")
            let bad = try await ExpvasymlProcess.run(
                ["-reader", "h:1", "-recorder", "e:2", "-listen", "9800"], in: directory)
            #expect(bad.status == 78)
            #expect(
                bad.stderrLines == [
                    "error: -listen: \"9800\" has no port (use host:port such as 127.0.0.1:9800, or \"\" to turn the monitoring endpoint off)"
                ])
        }
    }

    @Test func onceNamesTheFirstRecordersIndexAndCountsDropsInTheSingular() async throws {
        let server = try RawTCPServer { connection in
            while connection.readRequest() != nil {
                _ = connection.write(
                    RawTCPServer.response(headers: ["Content-Type: application/json"], text: #"{"a":null,"b":1}"#))
            }
        }
        defer { server.stop() }
        let yaml = """
            readers:
              app: {type: expvar, type_name: demo, endpoint: "127.0.0.1:\(server.port)"}
            recorders:
              first: {type: file, path: ./first.ndjson, index_name: first-index}
              second: {type: elasticsearch, endpoint: 127.0.0.1:1, index_name: second-index}
            routes:
              a: {readers: [app], recorders: [first]}
              b: {readers: [app], recorders: [second, first]}
            """
        try await withTemporaryDirectory { directory in
            try await write(yaml, to: directory + "/c.yml")
            let outcome = try await ExpvasymlProcess.run(["-c", "c.yml", "--once"], in: directory)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderrLines == ["expvasyml: reader app: dropped 1 field (null=1)"])
            let lines = outcome.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(outcome.stdout)")
            #expect(lines.first?.contains(#""_index":"first-index""#) == true, "\(outcome.stdout)")
            #expect(lines.last?.contains(#""b":1"#) == true, "\(outcome.stdout)")
        }
    }

    @Test(.timeLimit(.minutes(1))) func theMonitoringEndpointIsAnnouncedOnce() async throws {
        let yaml = """
            settings:
              http: {listen: "127.0.0.1:0"}
            readers:
              me: {type: self, interval: 1h}
            recorders:
              out: {type: file, path: ./out.ndjson}
            routes:
              r: {readers: me, recorders: out}
            """
        try await withTemporaryDirectory { directory in
            try await write(yaml, to: directory + "/c.yml")
            let process = try ExpvasymlBinary.spawn(
                arguments: ["-c", "c.yml"], currentDirectory: URL(fileURLWithPath: directory))
            try await process.waitForStderr(containing: "http.port=", timeout: .seconds(20))
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(15)) == 0, "\(process.stderr)")
            await process.waitForOutputToEnd()
            let announcements = process.stderr.split(separator: "\n").filter { $0.contains("http.port=") }
            #expect(announcements.count == 1, "\(process.stderr)")
            #expect(announcements.first?.contains("listening http.address=127.0.0.1 http.port=") == true)
        }
    }
}
