import Testing

@testable import Expvastic

@Suite struct JSONValueTests {
    @Test func nestedValuesAndEscapes() throws {
        let value = try JSONValue.parse(
            Array(#"{"a":{"b":[1,2.5,"x\"y",true,null]},"n":-7,"big":18446744073709551615,"s":"é\u00e9"}"#.utf8))
        #expect(value["a"]?["b"]?.array == [.number(1), .number(2.5), .string("x\"y"), .bool(true), .null])
        #expect(value["n"]?.int == -7)
        #expect(value["big"] == .number(Double(UInt64.max)))
        #expect(value["s"]?.string == "éé")
        #expect(value["missing"] == nil)
        #expect(value["n"]?["deeper"] == nil)
        #expect(value["a"]?["b"]?.array?[1].int == nil)
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONValue.parse(Array(#"{"k":1,"k":2}"#.utf8))["k"]?.int == 2)
    }

    @Test func nonObjectsAndBrokenBodiesAreErrors() {
        #expect(throws: JSONError.self) { try JSONValue.parse(Array("[1]".utf8)) }
        #expect(throws: JSONError.self) { try JSONValue.parse(Array(#"{"a":"#.utf8)) }
        #expect(throws: JSONError.self) { try JSONValue.parse(Array("<html>".utf8)) }
    }
}
