import Expvastic
import Testing

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)),
        ("3s", .seconds(3)),
        ("1m30s", .seconds(90)),
        ("1h", .seconds(3600)),
        ("1.5s", .milliseconds(1500)),
        ("100us", .microseconds(100)),
        ("100µs", .microseconds(100)),
        ("100μs", .microseconds(100)),
        ("10ns", .nanoseconds(10)),
        ("2h45m", .seconds(9900)),
        (".5s", .milliseconds(500)),
        ("-1s", .seconds(-1)),
        ("0s", .zero),
    ])
    func parsesGoSyntax(text: String, expected: Duration) throws {
        #expect(try GoDuration.parse(text).get() == expected)
    }

    @Test func bareNumberHasNoUnit() {
        guard case .failure(let error) = GoDuration.parse("2") else {
            Issue.record("expected failure")
            return
        }
        #expect(error.reason == "has no unit")
        #expect(error.hint == "try 2s")
        #expect(error.description == "\"2\" has no unit (try 2s)")
    }

    @Test(arguments: ["", "s", "3sec", "1m30", "abc", "1..2s", "3 s x"])
    func rejectsGarbage(text: String) {
        #expect(throws: GoDurationError.self) { try GoDuration.parse(text).get() }
    }

    @Test func unknownUnitIsNamed() {
        guard case .failure(let error) = GoDuration.parse("3sec") else {
            Issue.record("expected failure")
            return
        }
        #expect(error.reason == "has unknown unit \"sec\"")
    }

    @Test func overflowIsAnError() {
        #expect(throws: GoDurationError.self) { try GoDuration.parse("9999999999h").get() }
    }

    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"), (.seconds(10), "10s"), (.seconds(90), "1m30s"), (.seconds(3600), "1h"),
        (.milliseconds(1500), "1.5s"), (.microseconds(250), "250us"), (.zero, "0s"), (.milliseconds(1250), "1.25s"),
    ])
    func formatsShortest(duration: Duration, text: String) throws {
        #expect(GoDuration.format(duration) == text)
        #expect(try GoDuration.parse(text).get() == duration)
    }
}
