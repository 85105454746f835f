import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// Content that did not change is not parsed again, and gives the same array.
@Suite struct TargetContentCacheTests {
    /// Parses `"a,b"` into targets `a` and `b`, counting the calls per origin.
    final class CountingParser: Sendable {
        let calls = Mutex<[String: Int]>([:])
        func parse(_ origin: String, _ bytes: [UInt8]) throws(DiscoveryError) -> [DiscoveredTarget] {
            calls.withLock { $0[origin, default: 0] += 1 }
            let text = String(decoding: bytes, as: UTF8.self)
            if text == "bad" { throw DiscoveryError(code: "invalid_content", message: "\(origin) is bad") }
            return text.split(separator: ",").map { DiscoveredTarget(address: String($0), labels: ["from": origin]) }
        }
    }

    static func sameStorage(_ a: [DiscoveredTarget], _ b: [DiscoveredTarget]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }

    @Test func onlyChangedPartsAreParsedAndAnUnchangedAnswerIsTheSameArray() throws {
        let cache = TargetContentCache()
        let parser = CountingParser()
        let first = try cache.targets(of: [("f1", Array("a,b".utf8)), ("f2", Array("c".utf8))], parse: parser.parse)
        #expect(first.map(\.address) == ["a", "b", "c"])
        // Nothing changed: nothing parsed, the very same array.
        let again = try cache.targets(of: [("f1", Array("a,b".utf8)), ("f2", Array("c".utf8))], parse: parser.parse)
        #expect(again == first)
        #expect(Self.sameStorage(again, first))
        #expect(parser.calls.withLock { $0 } == ["f1": 1, "f2": 1])
        // One part changed (same length): only it is parsed.
        let changed = try cache.targets(of: [("f1", Array("a,b".utf8)), ("f2", Array("d".utf8))], parse: parser.parse)
        #expect(changed.map(\.address) == ["a", "b", "d"])
        #expect(parser.calls.withLock { $0 } == ["f1": 1, "f2": 2])
        // A part gone (a glob matching less): a new answer, nothing parsed.
        let fewer = try cache.targets(of: [("f1", Array("a,b".utf8))], parse: parser.parse)
        #expect(fewer.map(\.address) == ["a", "b"])
        #expect(parser.calls.withLock { $0 } == ["f1": 1, "f2": 2])
    }

    @Test func aFailedParseKeepsWhatWasCached() throws {
        let cache = TargetContentCache()
        let parser = CountingParser()
        let good = try cache.targets(of: [("f", Array("a".utf8))], parse: parser.parse)
        #expect(throws: DiscoveryError.self) { try cache.targets(of: [("f", Array("bad".utf8))], parse: parser.parse) }
        let back = try cache.targets(of: [("f", Array("a".utf8))], parse: parser.parse)
        #expect(Self.sameStorage(back, good))
        #expect(parser.calls.withLock { $0 } == ["f": 2])
    }

    /// A file rewritten in place with other content of the same size, at once (the same
    /// modification-time tick), is read as changed.
    @Test func aFileRewrittenWithTheSameSizeIsReadAgain() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/t.json"
            try #"[{"targets": ["10.0.0.1:80"]}]"#.write(toFile: path, atomically: false, encoding: .utf8)
            let fetcher = FileTargetFetcher(paths: [path], executor: BlockingExecutor())
            let first = try await fetcher.fetch().targets
            let unchanged = try await fetcher.fetch().targets
            #expect(Self.sameStorage(first, unchanged))
            try #"[{"targets": ["10.0.0.2:80"]}]"#.write(toFile: path, atomically: false, encoding: .utf8)
            let second = try await fetcher.fetch().targets
            #expect(first == [DiscoveredTarget(address: "10.0.0.1:80")])
            #expect(second == [DiscoveredTarget(address: "10.0.0.2:80")])
        }
    }
}
