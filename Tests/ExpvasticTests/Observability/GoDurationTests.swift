import Testing

@testable import Expvastic

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("60s", Duration.seconds(60)), ("5m", .seconds(300)), ("1h30m", .seconds(5400)), ("1.5h", .seconds(5400)),
        ("300ms", .milliseconds(300)), ("2us", .microseconds(2)), ("2µs", .microseconds(2)), ("7ns", .nanoseconds(7)),
        ("0", .zero), ("-1s", .seconds(-1)), ("+.5s", .milliseconds(500)), ("1h2m3s4ms", .milliseconds(3_723_004)),
    ])
    func parses(text: String, expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "s", "60", "60x", "1.s2", "-", "1e3s", ".s", "1s 2s", "99999999999h"])
    func rejects(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }
}
