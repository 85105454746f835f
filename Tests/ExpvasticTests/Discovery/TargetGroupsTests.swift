import ExpvasticTestSupport
import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// A JSON target-group list read from the scanner's tape gives what the ``JSONValue`` reading
/// gives, and anything else is left to that reading (so errors keep their messages).
@Suite struct TargetGroupsTests {
    @Test func aPlainListIsReadFromTheTape() throws {
        let body =
            #"[{"targets": ["a:1", "b:2"], "labels": {"zone": "x", "__meta": "m"}}, {"targets": []},"#
            + #" {"labels": null, "other": {"targets": 1}, "targets": ["c\u0041:3"]}]"#
        let targets = try #require(TargetGroups.parsePlain(json: Array(body.utf8)))
        #expect(
            targets == [
                DiscoveredTarget(address: "a:1", labels: ["zone": "x"]),
                DiscoveredTarget(address: "b:2", labels: ["zone": "x"]), DiscoveredTarget(address: "cA:3"),
            ])
        #expect(try TargetGroups.parse(json: Array(body.utf8), origin: "f") == targets)
    }

    /// Random documents built from valid and invalid pieces: whenever the tape reading answers, the
    /// tree reading answers the same; `parse` always answers as the tree reading does, errors included.
    @Test func theTapeReadingAgreesWithTheTreeReading() {
        let labels = [
            "", #", "labels": {"k": "v"}"#, #", "labels": {"k": "v", "k": "w"}"#, #", "labels": null"#,
            #", "labels": {"k": 1}"#, #", "labels": []"#, #", "labels": {"a": "1", "__b": "2"}"#,
            #", "labels": {}, "labels": {"k": "v"}"#, #", "labels": {"\u00e9": "1", "e\u0301": "2"}"#,
        ]
        let lists = [
            #""targets": ["h:1"]"#, #""targets": []"#, #""targets": ["h:1", "h:2", "h:1"]"#, #""targets": [1]"#,
            #""targets": "h:1""#, #""x": 1"#, #""targets": ["a"], "targets": ["b"]"#, #""targets": [["h"]]"#,
        ]
        let tails = ["", "", "", ",", " 1", "]"]
        var random = SplitMix64(seed: 4_242)
        var plain = 0
        for _ in 0..<3_000 {
            let groups = (0..<Int(random.next() % 4)).map { _ in
                random.next() % 12 == 0
                    ? "7"
                    : "{" + lists[Int(random.next() % UInt64(lists.count))]
                        + labels[Int(random.next() % UInt64(labels.count))] + "}"
            }
            let body = Array(("[" + groups.joined(separator: ", ") + "]" + tails[Int(random.next() % 6)]).utf8)
            let tree = Result { () throws(DiscoveryError) in try TargetGroups.parseTree(json: body, origin: "f") }
            if let fast = TargetGroups.parsePlain(json: body) {
                plain += 1
                #expect(tree == .success(fast), "\(String(decoding: body, as: UTF8.self))")
            }
            let parsed = Result { () throws(DiscoveryError) in try TargetGroups.parse(json: body, origin: "f") }
            #expect(parsed == tree, "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(plain > 500)
    }
}
