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
