import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// Target ids order by reader, then endpoint, as `String` orders them, whether their bytes are
/// compared (ASCII) or their characters.
@Suite struct TargetIDTests {
    @Test func theOrderIsStringOrder() {
        let pieces = ["", "a", "b", "api", "http://10.0.0.", "1", "10", "9", ":80", "/", "é", "e\u{301}", "Z", "~"]
        var random = SplitMix64(seed: 1_990)
        func name() -> String {
            (0..<Int(random.next() % 4)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
        }
        let ids = (0..<400).map { _ in TargetID(reader: name(), endpoint: name()) }
        for a in ids {
            for b in ids.prefix(100) {
                #expect((a < b) == ((a.reader, a.endpoint) < (b.reader, b.endpoint)), "\(a) < \(b)")
            }
        }
        #expect(
            ids.sorted().map(\.description)
                == ids.sorted { ($0.reader, $0.endpoint) < ($1.reader, $1.endpoint) }.map(\.description))
    }
}
