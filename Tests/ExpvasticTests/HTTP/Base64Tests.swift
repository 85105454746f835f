import Testing

@testable import Expvastic

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors, plus bytes that use `+` and `/`.
    @Test func rfc4648Vectors() {
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"), ("elastic:p@ss wörd", "ZWxhc3RpYzpwQHNzIHfDtnJk"),
        ]
        for (plain, encoded) in vectors { #expect(Base64.encode(plain.utf8) == encoded) }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    @Test func decodingReversesEncoding() {
        let vectors = ["", "f", "fo", "foo", "foob", "fooba", "foobar", "/expvastic/pool-a/members/m1"]
        for plain in vectors { #expect(Base64.decode(Base64.encode(plain.utf8)) == Array(plain.utf8)) }
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
    }

    @Test func decodingRefusesWhatNoEncoderWrites() {
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zg===") == nil)
        #expect(Base64.decode("Z m9v") == nil)
    }
}
