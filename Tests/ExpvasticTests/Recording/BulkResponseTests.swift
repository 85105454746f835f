import Testing

@testable import Expvastic

@Suite struct BulkResponseTests {
    @Test func noErrorsNeedsNoItems() throws {
        #expect(
            try BulkResponse.parse(Array(#"{"took":3,"errors":false,"items":[{"create":{"status":201}}]}"#.utf8))
                == .allStored)
        #expect(try BulkResponse.parse(Array(#"{"errors":false,"items":[],"took":1}"#.utf8)) == .allStored)
    }

    @Test func itemsInOrderWithReasons() throws {
        let body = #"""
            {"took":1,"errors":true,"items":[
             {"create":{"_id":"a","status":201}},
             {"create":{"_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
             {"create":{"_id":"c","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [x]","caused_by":{"type":"number_format_exception","reason":"For input string: \"y\""}}}},
             {"create":{"_id":"d","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
             {"create":{"_id":"e","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary not active"}}},
             {"create":{"_id":"f","status":404,"error":{"type":"index_not_found_exception","reason":"no such index"}}}
            ]}
            """#
        guard case .items(let items) = try BulkResponse.parse(Array(body.utf8)) else {
            Issue.record("expected items")
            return
        }
        #expect(items.map(\.id) == ["a", "b", "c", "d", "e", "f"])
        #expect(items.map(\.disposition) == [.stored, .stored, .reject, .retry, .retry, .reject])
        #expect(items[2].reason == #"failed to parse field [x] (caused by: For input string: "y")"#)
        #expect(items[2].errorType == "mapper_parsing_exception")
    }

    @Test func rejectedExecutionAndClusterBlocksAreRetriedWhateverTheStatus() {
        #expect(BulkItemResult(status: 400, errorType: "es_rejected_execution_exception").disposition == .retry)
        #expect(BulkItemResult(status: 403, errorType: "cluster_block_exception").disposition == .retry)
        #expect(BulkItemResult(status: 403, errorType: "security_exception").disposition == .reject)
        #expect(BulkItemResult(status: 200).disposition == .stored)
    }

    @Test func notABulkResponse() {
        #expect(throws: RecorderError.self) { try BulkResponse.parse(Array("<html>".utf8)) }
        #expect(throws: RecorderError.self) { try BulkResponse.parse(Array(#"{"acknowledged":true}"#.utf8)) }
    }
}
