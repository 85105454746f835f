import Expvastic
import Testing

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("1048576", 1_048_576), ("5MiB", 5 << 20), ("512KB", 512_000), ("1GiB", 1 << 30), ("1gib", 1 << 30),
        ("100MB", 100_000_000), ("2 KiB", 2048), ("1.5KiB", 1536), ("7B", 7), ("1TiB", 1 << 40),
    ])
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text).get() == bytes)
    }

    @Test(arguments: ["", "MiB", "5 parsecs", "5M", "-1KB", "1e30TiB"])
    func rejects(text: String) {
        #expect(throws: ByteSizeError.self) { try ByteSize.parse(text).get() }
    }

    @Test func formatsInTheShortestExactUnit() {
        #expect(ByteSize.format(5 << 20) == "5MiB")
        #expect(ByteSize.format(1 << 30) == "1GiB")
        #expect(ByteSize.format(1000) == "1KB")
        #expect(ByteSize.format(10_000_000) == "10MB")
        #expect(ByteSize.format(10_000_000_000) == "10GB")
        #expect(ByteSize.format(2048) == "2KiB")
        #expect(ByteSize.format(1500) == "1500B")
        #expect(ByteSize.format(7) == "7B")
    }

    @Test func aBareLetterIsAmbiguous() {
        #expect(
            ByteSize.parse("10M")
                == .failure(
                    ByteSizeError(
                        text: "10M", reason: "has the ambiguous unit \"m\"",
                        hint: "write 10MB for ×1000 or 10MiB for ×1024")))
        #expect(throws: ByteSizeError.self) { try ByteSize.parse("2 k").get() }
    }
}
