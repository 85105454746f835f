import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// Which bulk requests the recorder encodes and sends from the HTTP client's loop thread (small
/// ones) and which go to the cooperative pool (big ones, whose encoding would delay polls).
@Suite struct ElasticsearchRecorderLoopHostTests {
    private func batch(_ count: Int, bodyBytes: Int) -> BulkStateMachine.Batch {
        let documents = (0..<count).map { n in
            Document(
                id: "id-\(n)", timestampMillis: 1_795_284_000_000, reader: "r",
                body: [UInt8](repeating: UInt8(ascii: "x"), count: bodyBytes))
        }
        return BulkStateMachine.Batch(id: 1, documents: documents, failures: 0, origin: .live)
    }

    @Test func aFewReadersSecondStaysOnTheLoopAndBigBatchesDoNot() {
        #expect(ElasticsearchRecorder.sentFromTheLoop(batch(50, bodyBytes: 4096)), "50 polls of a 4 KB body")
        #expect(ElasticsearchRecorder.sentFromTheLoop(batch(60, bodyBytes: 4096)))
        #expect(!ElasticsearchRecorder.sentFromTheLoop(batch(70, bodyBytes: 4096)), "past 256 KB")
        #expect(!ElasticsearchRecorder.sentFromTheLoop(batch(2, bodyBytes: 175 << 10)), "two 175 KB bodies")
        #expect(ElasticsearchRecorder.sentFromTheLoop(batch(500, bodyBytes: 100)), "bytes count, not documents")
        #expect(!ElasticsearchRecorder.sentFromTheLoop(batch(2000, bodyBytes: 100)))
        #expect(ElasticsearchRecorder.sentFromTheLoop(batch(0, bodyBytes: 0)))
    }
}
