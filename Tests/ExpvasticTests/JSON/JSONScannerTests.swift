import Testing

@testable import Expvastic

@Suite struct JSONScannerTests {
    /// Parses `text` and returns the tape, or the error.
    static func parse(_ bytes: [UInt8], limits: JSONScanner.Limits = .init()) -> Result<JSONTape, JSONError> {
        var scanner = JSONScanner(limits: limits)
        var tape = JSONTape()
        return bytes.withUnsafeBytes { body in
            do throws(JSONError) {
                try scanner.parse(body, into: &tape)
                return .success(tape)
            } catch {
                return .failure(error)
            }
        }
    }

    static func error(_ text: String, limits: JSONScanner.Limits = .init()) throws -> JSONError {
        try error(Array(text.utf8), limits: limits)
    }

    static func error(_ bytes: [UInt8], limits: JSONScanner.Limits = .init()) throws -> JSONError {
        guard case .failure(let error) = parse(bytes, limits: limits) else {
            Issue.record("expected an error")
            throw CancellationError()
        }
        return error
    }

    static func tape(_ text: String) throws -> JSONTape {
        try parse(Array(text.utf8)).get()
    }

    /// The decoded bytes of a string or key node.
    static func string(_ tape: JSONTape, _ node: JSONTape.Node, source: String) -> String {
        let start = Int(node.start)
        let end = start + Int(node.count)
        return node.decoded
            ? String(decoding: tape.arena[start..<end], as: UTF8.self)
            : String(decoding: Array(source.utf8)[start..<end], as: UTF8.self)
    }

    @Test func parsesAllValueKinds() throws {
        let text = #"{"a":1,"b":-2.5e3,"c":"x","d":true,"e":false,"f":null,"g":[1,2],"h":{},"i":NaN,"j":+Inf,"k":-Inf}"#
        let tape = try Self.tape(text)
        let kinds = tape.nodes.map(\.kind)
        #expect(
            kinds == [
                .object, .key, .int, .key, .double, .key, .string, .key, .bool, .key, .bool, .key, .null, .key,
                .array, .int, .int, .key, .object, .key, .nonFinite, .key, .nonFinite, .key, .nonFinite,
            ])
        #expect(tape.nodes[0].count == 11)
        #expect(tape.nodes[0].end == tape.nodes.count)
        #expect(tape.nodes[4].double == -2500)
        #expect(tape.nodes[14].count == 2)
        #expect(tape.nodes[14].end == 17)
        #expect(tape.nodes[20].payload == 2)
        #expect(tape.nodes[22].payload == 0)
        #expect(tape.nodes[24].payload == 1)
    }

    @Test(arguments: [
        ("9223372036854775807", JSONTape.Kind.int, UInt64(Int64.max)),
        ("-9223372036854775808", .int, UInt64(bitPattern: Int64.min)),
        ("9223372036854775808", .uint, UInt64(Int64.max) + 1),
        ("18446744073709551615", .uint, UInt64.max),
        ("1795285393759871768", .int, 1_795_285_393_759_871_768),
        ("0", .int, 0),
        ("-0", .int, 0),
    ])
    func integersAreLossless(text: String, kind: JSONTape.Kind, bits: UInt64) throws {
        let tape = try Self.tape(#"{"v":"# + text + "}")
        #expect(tape.nodes[2].kind == kind)
        #expect(tape.nodes[2].payload == bits)
    }

    @Test(arguments: [
        "0.1", "1.375", "0.0041068223358700015", "1e-05", "2.2250738585072014e-308", "5e-324", "1.7976931348623157e308",
        "123456789012345678901234567890", "-9223372036854775809", "18446744073709551616", "9007199254740993.0",
        "0.30000000000000004", "1E+2", "12.5e-1", "3.141592653589793238462643383279",
    ])
    func doublesAreCorrectlyRounded(text: String) throws {
        let tape = try Self.tape(#"{"v":"# + text + "}")
        let expected = try #require(Double(text))
        #expect(tape.nodes[2].kind == .double)
        #expect(tape.nodes[2].double == expected, "\(text)")
    }

    @Test func hugeExponentIsNonFinite() throws {
        let tape = try Self.tape(#"{"v":1e400}"#)
        #expect(tape.nodes[2].kind == .nonFinite)
    }

    @Test func stringEscapesAndSurrogates() throws {
        let source =
            #"{"k\"ey":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00<é😀","lone":"\ud800x","raw":"plain é"}"#
        let tape = try Self.tape(source)
        #expect(Self.string(tape, tape.nodes[1], source: source) == "k\"ey")
        #expect(tape.nodes[2].decoded)
        #expect(Self.string(tape, tape.nodes[2], source: source) == "a\"b\\c/d\u{8}\u{c}\n\r\tAé€😀<é😀")
        #expect(Self.string(tape, tape.nodes[4], source: source) == "\u{FFFD}x")
        #expect(!tape.nodes[6].decoded)
        #expect(Self.string(tape, tape.nodes[6], source: source) == "plain é")
    }

    @Test func emptyBody() throws {
        for body in ["", "  \n\t "] {
            let error = try Self.error(body)
            #expect(error.code == .empty)
            #expect(error.message.contains("empty"))
        }
    }

    @Test func htmlPage() throws {
        let error = try Self.error("<html><body>502 Bad Gateway</body></html>")
        #expect(error.code == .notAnObject)
        #expect(error.offset == 0)
        #expect(error.message.contains("HTML"))
        #expect(error.message.contains("\"<html><body>502 Bad Gateway</body></html>\""))
    }

    @Test(arguments: ["[1,2]", "42", "\"text\"", "null", "true"])
    func rootMustBeAnObject(body: String) throws {
        #expect(try Self.error(body).code == .notAnObject)
    }

    @Test(arguments: [#"{"a":1"#, #"{"a":"#, #"{"a"#, #"{"a":"xy"#, #"{"a":[1,"#, #"{"a":tr"#, #"{"a":1.5e"#, "{"])
    func truncatedBody(body: String) throws {
        let error = try Self.error(body)
        #expect(error.code == .truncated, "\(body): \(error)")
        #expect(error.offset == body.utf8.count)
        #expect(error.message.contains("truncated"))
    }

    @Test func trailingGarbage() throws {
        let error = try Self.error(#"{"a":1} x"#)
        #expect(error.code == .trailingData)
        #expect(error.offset == 8)
        #expect(try Self.tape("{\"a\":1}\n  ").nodes.count == 3)
    }

    @Test(arguments: [
        (#"{"a":01}"#, JSONError.Code.invalidNumber), (#"{"a":-}"#, .invalidNumber), (#"{"a":1.}"#, .invalidNumber),
        (#"{"a":.5}"#, .unexpectedByte), (#"{"a":1,}"#, .unexpectedByte), (#"{a:1}"#, .unexpectedByte),
        (#"{"a" 1}"#, .unexpectedByte), (#"{"a":[1 2]}"#, .unexpectedByte), (#"{"a":"\x"}"#, .invalidString),
        (#"{"a":"\u12G4"}"#, .invalidString), ("{\"a\":\"x\ny\"}", .invalidString), (#"{"a":Inf}"#, .unexpectedByte),
        (#"{"a":nul}"#, .unexpectedByte), (#"{"a":+1}"#, .unexpectedByte), (#"{"a":1}}"#, .trailingData),
    ])
    func malformed(body: String, code: JSONError.Code) throws {
        let error = try Self.error(body)
        #expect(error.code == code, "\(body): \(error)")
    }

    @Test func invalidUTF8() throws {
        for bad: [UInt8] in [
            [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x28, 0xA1],
        ] {
            let body = Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8)
            let error = try Self.error(body)
            #expect(error.code == .invalidUTF8, "\(bad): \(error)")
            #expect(error.offset == 6)
            #expect(error.message.contains("\\x"))
        }
        let truncatedSequence = Array(#"{"a":""#.utf8) + [0xE2, 0x82]
        #expect(try Self.error(truncatedSequence).code == .truncated)
    }

    @Test func deepNestingIsRejectedWithoutRecursion() throws {
        let depth = 100_000
        let body =
            Array(#"{"a":"#.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: depth)
            + [UInt8](repeating: UInt8(ascii: "]"), count: depth) + [UInt8(ascii: "}")]
        let error = try Self.error(body)
        #expect(error.code == .tooDeep)
        #expect(error.offset == 5 + 63)
        let ok = String(repeating: "{\"a\":", count: 64) + "1" + String(repeating: "}", count: 64)
        #expect(try Self.tape(ok).nodes.count == 129)
        let tooDeep = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(try Self.error(tooDeep).code == .tooDeep)
    }

    @Test func sizeLimit() throws {
        let body = [UInt8](repeating: UInt8(ascii: " "), count: 50 << 20)
        let error = try Self.error(body)
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("16777216"))
        let small = try Self.error(Array(#"{"a":"0123456789"}"#.utf8), limits: .init(maxBytes: 10))
        #expect(small.code == .tooLarge)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try Self.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8)).get().nodes.count == 3)
    }

    @Test func previewIsSanitised() {
        let body: [UInt8] = Array("line1\nline2\u{1B}[31m\"q\" é".utf8) + [0xFF]
        let preview = body.withUnsafeBytes { JSONError.preview($0) }
        #expect(preview == #""line1\nline2\x1B[31m\"q\" é\xFF""#)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 100)
        #expect(long.withUnsafeBytes { JSONError.preview($0, limit: 10) } == "\"aaaaaaaaaa\"…")
    }

    @Test func fixturesParse() throws {
        for name in ["go-debug-vars-4k", "go-debug-vars-10k"] {
            let body = try Fixtures.load(name)
            let tape = try Self.parse(body).get()
            #expect(tape.nodes[0].kind == .object)
            #expect(tape.nodes[0].end == tape.nodes.count)
        }
    }
}

@Suite struct JSONScannerStringBoundaryTests {
    /// The eight-bytes-at-a-time string scan must find every special byte wherever it falls.
    @Test func specialBytesAtEveryOffset() throws {
        for prefix in 0..<20 {
            let pad = [UInt8](repeating: UInt8(ascii: "a"), count: prefix)
            let tail = [UInt8](repeating: UInt8(ascii: "b"), count: 9)
            let open = Array(#"{"k":""#.utf8)
            let close = Array(#""}"#.utf8)

            let escaped = try JSONScannerTests.parse(open + pad + Array(#"\""#.utf8) + tail + close).get()
            #expect(escaped.nodes[2].decoded)
            #expect(escaped.arena == pad + [0x22] + tail)

            let accented = try JSONScannerTests.parse(open + pad + Array("é".utf8) + tail + close).get()
            #expect(!accented.nodes[2].decoded)
            #expect(Int(accented.nodes[2].count) == prefix + 2 + 9)

            let plain = try JSONScannerTests.parse(open + pad + close).get()
            #expect(Int(plain.nodes[2].count) == prefix)

            let control = try JSONScannerTests.error(open + pad + [0x01] + tail + close)
            #expect(control.code == .invalidString)
            #expect(control.offset == open.count + prefix)

            let invalid = try JSONScannerTests.error(open + pad + [0xFF] + tail + close)
            #expect(invalid.code == .invalidUTF8)
            #expect(invalid.offset == open.count + prefix)
        }
    }

    @Test func numbersAroundTheEightDigitChunks() throws {
        for digits in 1...20 {
            let text = String(repeating: "9", count: digits)
            let tape = try JSONScannerTests.parse(Array((#"{"v":["# + text + "," + text + "]}").utf8)).get()
            let expected = UInt64(text)
            for index in [3, 4] {
                let node = tape.nodes[index]
                if let expected {
                    #expect(node.payload == expected, "\(text)")
                    #expect(node.kind == (expected > UInt64(Int64.max) ? .uint : .int))
                } else {
                    #expect(node.kind == .double)
                    #expect(node.double == Double(text))
                }
            }
        }
    }
}
