import Expvastic
import Testing

@Suite struct StableHashTests {
    /// Poll phases (and through them document ids) of every shipper in a pool and across versions
    /// come from this hash: these values must never change. They were computed independently
    /// (FNV-1a 64 plus the mixing step, in Python).
    @Test(arguments: [
        ("", 5_711_608_995_589_865_383 as UInt64),
        ("FirstApp", 9_915_004_068_917_765_241),
        ("api|http://10.0.0.5:8080/debug/vars", 8_972_865_495_949_622_324),
    ])
    func knownValues(text: String, expected: UInt64) {
        #expect(StableHash.mixed64(text) == expected)
    }
}

/// Document ids of every version come from FNV-1a 128: known values computed in Python with the
/// full 128-bit multiplication (`h = (h ^ b) * (2**88 + 0x13B) % 2**128`).
@Suite struct FNV128Tests {
    @Test(arguments: [
        ("", "6c62272e07bb014262b821756295c58d"),
        ("a", "d228cb696f1a8caf78912b704e4a8964"),
        ("foobar", "343e1662793c64bf6f0d3597ba446f18"),
    ])
    func knownValues(text: String, expected: String) {
        var generic = StableHash.FNV128()
        generic.add(text)
        #expect(generic.hex == expected)
        var raw = StableHash.FNV128()
        Array(text.utf8).withUnsafeBytes { raw.add(bytes: $0) }
        #expect(raw.hex == expected)
    }

    @Test func documentIDsAreTheSameThroughThePrefix() {
        let reader = "node"
        let endpoint = "http://localhost:9100/metrics"
        let entity = #"{cpu="0",mode="idle"}"#
        let id = DocumentID.make(reader: reader, endpoint: endpoint, entity: entity, timestampMillis: 1_795_284_000_000)
        #expect(id == "325d4816a7440c4d656737dc8cdfeb35")
        let prefix = DocumentID.Prefix(reader: reader, endpoint: endpoint)
        #expect(
            Array(entity.utf8).withUnsafeBytes { prefix.make(entity: $0, timestampMillis: 1_795_284_000_000) } == id)
        #expect(prefix.make(entity: nil, timestampMillis: -42) == "b59ca1ca272adbbcb150af049dfa423d")
        #expect(
            prefix.make(entity: nil, timestampMillis: -42)
                == DocumentID.make(reader: reader, endpoint: endpoint, timestampMillis: -42))
        for millis: Int64 in [0, 7, 1_795_284_000_123, .max, .min + 1] {
            #expect(
                prefix.make(entity: nil, timestampMillis: millis)
                    == DocumentID.make(reader: reader, endpoint: endpoint, timestampMillis: millis))
        }
    }
}
