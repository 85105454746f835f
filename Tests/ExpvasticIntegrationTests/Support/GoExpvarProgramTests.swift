import ExpvasticTestSupport
import Foundation
import Testing

@Suite("GoExpvarProgram: the real Go expvar program")
struct GoExpvarProgramTests {
    private func memstats(_ program: GoExpvarProgram) async throws -> [String: Any] {
        let raw = try #require(try await program.variables()["memstats"])
        return try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
    }

    @Test("serves a variable of every expvar kind, printed the way Go prints them")
    func servesEveryKind() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        #expect(program.endpoint.hasPrefix("127.0.0.1:"))
        #expect(program.url.absoluteString == "http://\(program.endpoint)/debug/vars")

        let variables = try await program.variables()
        let expected: Set = [
            "requests", "ratio", "infinite", "message", "db", "healthy", "tags", "nothing", "items", "big",
            "cmdline", "memstats",
        ]
        #expect(Set(variables.keys) == expected)
        #expect(variables["ratio"] == "0")
        #expect(variables["infinite"] == "+Inf")
        #expect(variables["big"] == "18446744073709551557")
        #expect(variables["healthy"] == "true")
        #expect(variables["nothing"] == "null")
        #expect(variables["tags"] == #"["a","b \"c\"","ü"]"#)

        let rawMessage = try #require(variables["message"])
        let message = try JSONSerialization.jsonObject(with: Data(rawMessage.utf8), options: .fragmentsAllowed)
        #expect(message as? String == "say \"hi\" \\ <b>\n naïve ✓ 😀")
        #expect(rawMessage.contains(#"\u003cb\u003e"#))

        let rawDB = try #require(variables["db"])
        let db = try #require(try JSONSerialization.jsonObject(with: Data(rawDB.utf8)) as? [String: Any])
        let pool = try #require(db["pool"] as? [String: Any])
        #expect((pool["limits"] as? [String: Any])?["max_open"] as? Int == 10)
        #expect(pool["wait_seconds"] as? Double == 1.5)
        #expect(db["name"] as? String == "primary")

        let stats = try await memstats(program)
        #expect((stats["PauseNs"] as? [Any])?.count == 256)
        #expect(stats["NumGC"] is NSNumber)
    }

    @Test("requests counts /debug/vars hits")
    func requestsCountsHits() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        let first = try await program.variables()["requests"].flatMap { Int($0) }
        let second = try await program.variables()["requests"].flatMap { Int($0) }
        #expect(first != nil)
        #expect(second == first.map { $0 + 1 })
    }

    @Test("forced collections grow NumGC and land in the pause ring")
    func forcedCollections() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        let before = try #require((try await memstats(program))["NumGC"] as? Int)

        let report = try await program.forceGC(n: 3)
        #expect(report.numGC >= UInt32(before) + 3)
        #expect(report.pausesNs.count == 3)
        #expect(report.pauseEnds.count == 3)
        #expect(zip(report.pauseEnds, report.pauseEnds.dropFirst()).allSatisfy { $0 < $1 })
        #expect(report.lastGC == report.pauseEnds.last)

        let after = try await memstats(program)
        #expect(try #require(after["NumGC"] as? Int) >= Int(report.numGC))
        let ring = try #require(after["PauseEnd"] as? [NSNumber]).map(\.uint64Value)
        #expect(Set(report.pauseEnds).isSubset(of: Set(ring)))
    }

    @Test("set(ratio:) changes the ratio variable")
    func setRatio() async throws {
        let program = try await GoExpvarProgram.start()
        defer { program.stop() }
        try await program.set(ratio: 0.25)
        #expect(try await program.variables()["ratio"] == "0.25")
    }

    @Test("terminate ends the process; a new one can listen on the same endpoint")
    func terminateAndRestart() async throws {
        let program = try await GoExpvarProgram.start()
        let endpoint = program.endpoint
        await program.terminate()
        #expect(program.process.termination != nil)
        await #expect(throws: (any Error).self) { try await HTTPGet.get(program.url, timeout: .seconds(2)) }

        let again = try await GoExpvarProgram.start(address: endpoint)
        defer { again.stop() }
        #expect(again.endpoint == endpoint)
        #expect(try await HTTPGet.get(again.url).status == 200)
    }

    @Test("variables(in:) splits a real body and rejects something else")
    func splitsBodies() throws {
        let body = "{\n\"a\": 1,\n\"b\": {\"c\": \"d: e\"},\n\"x\": +Inf\n}\n"
        #expect(try GoExpvarProgram.variables(in: body) == ["a": "1", "b": #"{"c": "d: e"}"#, "x": "+Inf"])
        #expect(throws: TestSupportError.self) { try GoExpvarProgram.variables(in: "{\nnot expvar\n}") }
    }
}
