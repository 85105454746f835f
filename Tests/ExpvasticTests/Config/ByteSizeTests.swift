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

    @Test func formatsExactBinaryUnits() {
        #expect(ByteSize.format(5 << 20) == "5MiB")
        #expect(ByteSize.format(1 << 30) == "1GiB")
        #expect(ByteSize.format(1000) == "1000B")
    }
}
