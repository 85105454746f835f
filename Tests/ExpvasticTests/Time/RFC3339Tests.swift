import Testing

@testable import Expvastic

@Suite struct RFC3339Tests {
    @Test(arguments: [Int64(0), 1_795_284_000_123, -1, 951_782_400_999, 253_402_300_799_999, -62_135_596_800_000])
    func appendQuotedMatchesFormat(millis: Int64) {
        var out: [UInt8] = []
        RFC3339.appendQuoted(millis: millis, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"" + RFC3339.format(millis: millis) + "\"")
    }

    @Test func knownValue() {
        #expect(RFC3339.format(millis: 1_795_284_000_123) == "2026-11-21T18:00:00.123Z")
    }
}
