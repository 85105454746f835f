import Testing

@testable import Expvastic

@Suite struct FieldGlobTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        ("memstats.HeapAlloc", "memstats.HeapAlloc", true), ("memstats.HeapAlloc", "memstats.HeapAllocX", false),
        ("memstats.Heap*", "memstats.HeapSys", true), ("memstats.Heap*", "memstats.Alloc", false),
        ("memstats.*", "memstats.a.b", false), ("memstats.**", "memstats.a.b", true), ("**", "x", true),
        ("**.Alloc", "Alloc", true), ("**.Alloc", "a.b.Alloc", true), ("**.Alloc", "a.HeapAlloc", false),
        ("a.**.z", "a.z", true), ("a.**.z", "a.b.c.z", true), ("*Alloc", "HeapAlloc", true), ("*", "", true),
        ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
    ])
    func matches(pattern: String, path: String, expected: Bool) {
        #expect(FieldGlob(pattern).matches(Self.bytes(path)) == expected, "\(pattern) vs \(path)")
    }

    @Test func ancestorsAndBeneath() {
        let glob = FieldGlob("memstats.BySize")
        #expect(glob.matchesSelfOrAncestor(Self.bytes("memstats.BySize.0.Size")))
        #expect(!glob.matchesSelfOrAncestor(Self.bytes("memstats")))
        #expect(glob.mayMatchBeneath(Self.bytes("memstats")))
        #expect(glob.mayMatchBeneath(Self.bytes("memstats.BySize")))
        #expect(!glob.mayMatchBeneath(Self.bytes("memstats.BySize.0")))
        #expect(FieldGlob("memstats.BySize.*.Size").mayMatchBeneath(Self.bytes("memstats.BySize")))
        #expect(!FieldGlob("memstats").mayMatchBeneath(Self.bytes("memstats.BySize")))
    }
}
