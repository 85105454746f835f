import Foundation
import Testing

@testable import Expvastic

@Suite struct BulkEncoderTests {
    /// 2026-11-21T18:00:00.123Z
    static let millis: Int64 = 1_795_284_000_123
    static let document = Document(id: "r1-abc", timestampMillis: millis, reader: "r1", body: Array(#"{"a":1}"#.utf8))

    static func rootBody(number: String, distribution: String?) -> [UInt8] {
        let dist = distribution.map { #","distribution":"\#($0)""# } ?? ""
        return Array(
            #"{"name":"node","cluster_name":"c","version":{"number":"\#(number)"\#(dist),"lucene_version":"9"},"tagline":"You Know, for Search"}"#
                .utf8)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var number: String
        var distribution: String?
        var actionLine: String
        var templateKind: IndexTemplate.Kind
        var testDescription: String { "\(distribution ?? "elasticsearch") \(number)" }
    }

    static let cases: [Case] = [
        Case(
            number: "6.8.23", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_type":"_doc","_id":"r1-abc"}}"#,
            templateKind: .legacyWithDocumentType),
        Case(
            number: "7.0.1", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .legacy),
        Case(
            number: "7.7.1", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .legacy),
        Case(
            number: "7.8.0", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "7.17.22", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "8.13.4", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "8.0.0-SNAPSHOT", distribution: nil,
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "1.3.19", distribution: "opensearch",
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "2.11.0", distribution: "opensearch",
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
        Case(
            number: "3.8.0", distribution: "opensearch",
            actionLine: #"{"create":{"_index":"expvastic-2026.11.21","_id":"r1-abc"}}"#, templateKind: .composable),
    ]

    @Test(arguments: cases)
    func actionLineAndTemplateKindPerVersion(_ testCase: Case) throws {
        let version = try ClusterVersion(
            rootResponse: Self.rootBody(number: testCase.number, distribution: testCase.distribution))
        let encoder = BulkEncoder(indexName: try IndexName("expvastic-%{+yyyy.MM.dd}"), version: version)
        #expect(encoder.actionLine(for: Self.document) == testCase.actionLine)
        #expect(version.templateKind == testCase.templateKind)
        let body = String(decoding: encoder.encode([Self.document]), as: UTF8.self)
        #expect(body == testCase.actionLine + "\n" + #"{"a":1}"# + "\n")
    }

    @Test func versionParsing() throws {
        let os = try ClusterVersion(rootResponse: Self.rootBody(number: "2.11.1", distribution: "opensearch"))
        #expect(os == ClusterVersion(distribution: .opensearch, major: 2, minor: 11, patch: 1))
        #expect(os.description == "opensearch 2.11.1")
        let es = try ClusterVersion(rootResponse: Self.rootBody(number: "8.0.0-SNAPSHOT", distribution: nil))
        #expect(es == ClusterVersion(distribution: .elasticsearch, major: 8, minor: 0, patch: 0))
        #expect(!es.requiresDocumentType)
        #expect(
            try ClusterVersion(rootResponse: Self.rootBody(number: "6.8.0", distribution: nil)).requiresDocumentType)
    }

    @Test func versionErrorsSayWhatIsWrong() {
        #expect(throws: RecorderError.self) { try ClusterVersion(rootResponse: Array("<html>proxy</html>".utf8)) }
        do {
            _ = try ClusterVersion(rootResponse: Array(#"{"status":"ok"}"#.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "version_unreadable")
            #expect(error.message.contains("version.number"))
        }
    }

    @Test func batchIsNewlineTerminatedAndSpansDays() throws {
        let encoder = BulkEncoder(indexName: try IndexName("m-%{+yyyy.MM.dd}"))
        let day2 = Document(id: "x", timestampMillis: Self.millis + 86_400_000, reader: "r", body: Array("{}".utf8))
        let body = String(decoding: encoder.encode([Self.document, day2, Self.document]), as: UTF8.self)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7)
        #expect(lines.last == "")
        #expect(lines[0].contains(#""_index":"m-2026.11.21""#))
        #expect(lines[2].contains(#""_index":"m-2026.11.22""#))
        #expect(lines[4].contains(#""_index":"m-2026.11.21""#))
    }

    @Test func fixedIndexAndEscapedID() throws {
        let encoder = BulkEncoder(indexName: try IndexName("metrics"))
        let odd = Document(id: "a\"b\\c\u{1}", timestampMillis: 0, reader: "r", body: Array("{}".utf8))
        #expect(encoder.actionLine(for: odd) == #"{"create":{"_index":"metrics","_id":"a\"b\\c\u0001"}}"#)
        // The action line is valid JSON that decodes back to the same id.
        let object = try JSONSerialization.jsonObject(with: Data(encoder.actionLine(for: odd).utf8)) as? [String: Any]
        let create = try #require(object?["create"] as? [String: Any])
        #expect(create["_id"] as? String == odd.id)
    }

    @Test func contentType() {
        #expect(BulkEncoder.contentType == "application/x-ndjson")
    }
}
