import Testing

@testable import Expvastic

@Suite struct RetryAfterTests {
    /// 1994-11-06T08:49:30Z
    static let now: Int64 = 784_111_770_000

    @Test func seconds() {
        #expect(RetryAfter.parse("2", nowWallMillis: Self.now) == .seconds(2))
        #expect(RetryAfter.parse(" 120 ", nowWallMillis: Self.now) == .seconds(120))
        #expect(RetryAfter.parse("0", nowWallMillis: Self.now) == .zero)
    }

    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"])
    func httpDates(_ text: String) {
        #expect(RetryAfter.parse(text, nowWallMillis: Self.now) == .seconds(7))
    }

    @Test func pastDateIsZero() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", nowWallMillis: Self.now) == .zero)
    }

    @Test(arguments: [nil, "", "soon", "-1", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"])
    func unreadable(_ text: String?) {
        #expect(RetryAfter.parse(text, nowWallMillis: Self.now) == nil)
    }
}
