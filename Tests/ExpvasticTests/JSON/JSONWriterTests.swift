import Foundation
import Testing

@testable import Expvastic

@Suite struct JSONWriterTests {
    static func double(_ value: Double) -> String {
        var out: [UInt8] = []
        JSONWriter.appendDouble(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        (0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (-42.0, "-42.0"), (1.375, "1.375"), (0.1, "0.1"),
        (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1e-5, "1e-05"),
        (0.0041068223358700015, "0.0041068223358700015"),
        (1.8446744073709552e19, "1.8446744073709552e+19"), (Double.leastNonzeroMagnitude, "5e-324"),
        (123456789012345.0, "123456789012345.0"),
    ])
    func doublesAreShortestRoundTripAndLookLikeDoubles(value: Double, text: String) throws {
        let written = Self.double(value)
        #expect(written == text)
        #expect(Double(written) == value)
        // Valid JSON, and still a floating-point number when read back.
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(written)]".utf8)) as? [Any]
        #expect(parsed?.count == 1)
        #expect(written.contains(".") || written.contains("e"))
    }

    @Test func integers() {
        for value: Int64 in [0, 7, -1, 10, 1_795_285_393_759_871_768, .max, .min] {
            var out: [UInt8] = []
            JSONWriter.appendInt(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        var out: [UInt8] = []
        JSONWriter.appendUInt(.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "18446744073709551615")
    }

    /// Every digit count, both sides of each power of ten (the writer counts digits, then writes
    /// two at a time from the end).
    @Test func integersAtEveryLength() {
        var values: [UInt64] = [0, 9, 10, 11, 99, 100, 101, .max, .max - 1]
        var power: UInt64 = 10
        for _ in 1..<20 {
            values += [power - 1, power, power + 1, power + power / 3]
            if power > UInt64.max / 10 { break }
            power *= 10
        }
        for value in values {
            var out: [UInt8] = [UInt8(ascii: "x")]
            JSONWriter.appendUInt(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x" + String(value))
            if value <= UInt64(Int64.max) {
                var negative: [UInt8] = []
                JSONWriter.appendInt(-Int64(value), to: &negative)
                #expect(String(decoding: negative, as: UTF8.self) == String(-Int64(value)))
            }
        }
    }

    @Test func escaping() {
        var out: [UInt8] = []
        JSONWriter.appendString("a\"b\\c\n\r\t\u{8}\u{C}\u{1}\u{1F}\u{7F}</é😀", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\n\r\t\b\f\u0001\u001f\#u{7F}</é😀""#)
    }
}
