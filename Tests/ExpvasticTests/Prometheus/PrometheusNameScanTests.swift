import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// The eight-bytes-at-once metric-name test agrees with the byte-wise definition for every byte
/// value in every position, and with random neighbours.
@Suite struct PrometheusNameScanTests {
    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x3A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || (c >= 0x61 && c <= 0x7A)
    }

    @Test func everyByteInEveryPosition() {
        var random = SplitMix64(seed: 13)
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                let mask = PrometheusParser.metricNameBytes(word)
                for k in 0..<8 {
                    let flagged = (mask >> UInt64(8 * k + 7)) & 1 == 1
                    #expect(flagged == Self.isNameByte(bytes[k]), "byte \(bytes[k]) at \(k)")
                    #expect((mask >> UInt64(8 * k)) & 0x7F == 0)
                }
            }
        }
    }

    @Test(arguments: [
        "a 1", "http_requests_total{code=\"200\"} 1", "x:y:z_9 2", "name_with_exactly_16 3",
        "abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789:{a=\"b\"} 4", "node_cpu_seconds_total 5",
    ])
    func namesEndWhereTheyEnd(line: String) {
        let scrape = PrometheusParser.parse(Array((line + "\n").utf8), format: .text)
        #expect(scrape.linesRejected == 0)
        let expected = String(line.prefix { $0.isASCII && Self.isNameByte(UInt8(ascii: $0.unicodeScalars.first!)) })
        #expect(scrape.samples.map(scrape.name(of:)) == [expected])
    }

    @Test(arguments: ["bad-name 1", "bad.name 1", "badé 1", "bad@name_longer_than_eight 1"])
    func namesWithOtherBytesAreRejected(line: String) {
        let scrape = PrometheusParser.parse(Array((line + "\n").utf8), format: .text)
        #expect(scrape.linesRejected == 1)
        #expect(scrape.samples.isEmpty)
    }
}
