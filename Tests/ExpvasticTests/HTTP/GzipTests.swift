import Expvastic
import Testing

/// `compression: gzip` bodies: what zlib compresses comes back byte for byte, and a compressed
/// body does not keep the (input-sized) bound buffer it was written into.
@Suite struct GzipTests {
    private static func ndjson(documents: Int) -> [UInt8] {
        var out: [UInt8] = []
        for n in 0..<documents {
            out += Array("{\"create\":{\"_index\":\"expvastic-2026.12.03\",\"_id\":\"app-\(n)\"}}\n".utf8)
            out += Array("{\"@timestamp\":\(1_795_284_000_000 + n),\"memstats.Alloc\":\(n &* 7919 % 100_003)}\n".utf8)
        }
        return out
    }

    @Test(arguments: [0, 1, 500, 5000])
    func roundTrip(documents: Int) throws {
        let body = Self.ndjson(documents: documents)
        let compressed = try Gzip.compress(body, level: 1)
        #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B], "a gzip member")
        #expect(try Gzip.decompress(compressed) == body)
    }

    @Test func aRepetitiveBodyShrinksAndKeepsNoBoundSizedBuffer() throws {
        let body = Self.ndjson(documents: 5000)
        let compressed = try Gzip.compress(body, level: 1)
        #expect(compressed.count * 5 < body.count, "\(compressed.count) of \(body.count) bytes")
        #expect(compressed.capacity < compressed.count * 2, "capacity \(compressed.capacity) for \(compressed.count)")
    }

    /// The recorder keeps one compressor for all its bulk bodies: each body is a whole gzip member
    /// of its own, and nothing of one body (its window, its sizes) leaks into the next.
    @Test func oneDeflaterCompressesBodyAfterBodyAsIfEachWereTheFirst() throws {
        let deflater = try GzipDeflater(level: 1)
        for documents in [5000, 0, 1, 500, 5000, 3] {
            let body = Self.ndjson(documents: documents)
            let compressed = try deflater.compress(body)
            #expect(compressed == (try Gzip.compress(body, level: 1)), "\(documents) documents")
            #expect(try Gzip.decompress(compressed) == body, "\(documents) documents")
        }
    }
}
