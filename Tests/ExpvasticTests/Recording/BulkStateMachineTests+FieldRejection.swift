import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// A document the cluster refuses because of one field: the field goes to the dead-letter file with
/// the reason, the rest is sent again with the same `_id`, and the reader is told.
extension BulkStateMachineTests {
    static func jsonDoc(_ n: Int, _ body: String, reader: String = "app") -> Document {
        Document(id: "id-\(n)", timestampMillis: 1_795_284_000_000, reader: reader, body: Array(body.utf8))
    }

    static let refusedA = BulkItemResult(
        status: 400, errorType: "mapper_parsing_exception",
        reason: "failed to parse field [a] of type [long] in document with id 'id-1'. Preview of field's value: 'x'")

    @Test func aRefusedFieldIsRemovedAndTheRestSentAgainWithTheSameID() throws {
        var machine = Self.connected(Self.policy(maxDocs: 2))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.jsonDoc(1, #"{"a":"x","b":1}"#), now: 0)
        _ = machine.accept(Self.jsonDoc(2, #"{"a":5,"b":2}"#), now: 0)
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .items([Self.refusedA, BulkItemResult(status: 201)]), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(
            step.actions.contains(
                .deadLetter([
                    .init(
                        document: Self.jsonDoc(1, #"{"a":"x","b":1}"#), status: 400,
                        errorType: "mapper_parsing_exception", reason: Self.refusedA.reason!,
                        removedFields: [RemovedField(path: "a", value: Array(#""x""#.utf8))])
                ])))
        #expect(
            step.actions.contains(
                .pinFields(
                    reader: "app", paths: ["a"], pin: .kind(.number),
                    reason: "mapper_parsing_exception: " + Self.refusedA.reason!)))
        // Not a whole-document dead letter: no warning, not counted as one.
        #expect(Self.logs(step).isEmpty)
        let again = Self.sends(step)
        #expect(again.map(\.batch.documents) == [[Self.jsonDoc(1, #"{"b":1}"#)]])
        #expect(again[0].batch.failures == 0)
        machine.bulkFinished(batchID: again[0].batch.id, outcome: .items([BulkItemResult(status: 201)]), now: 0)
        #expect(machine.stats.sent == 2)
        #expect(machine.stats.deadLettered == 0)
        #expect(machine.stats.fieldsDeadLettered == 1)
    }

    @Test func eachRefusalRemovesOneMoreFieldUntilTheDocumentIsStored() {
        var machine = Self.connected(Self.policy(maxDocs: 1))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.jsonDoc(1, #"{"a":"x","o":3,"z":1}"#), now: 0)
        var batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .items([Self.refusedA]), now: 0)
        batch = Self.sends(machine.nextActions(now: 0))[0].batch
        #expect(batch.documents == [Self.jsonDoc(1, #"{"o":3,"z":1}"#)])
        let objectConflict = BulkItemResult(
            status: 400, errorType: "mapper_parsing_exception",
            reason: "object mapping for [o] tried to parse field [o] as object, but found a concrete value")
        machine.bulkFinished(batchID: batch.id, outcome: .items([objectConflict]), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(
            step.actions.contains(
                .pinFields(
                    reader: "app", paths: ["o"], pin: .kind(.object),
                    reason: "mapper_parsing_exception: " + objectConflict.reason!)))
        batch = Self.sends(step)[0].batch
        #expect(batch.documents == [Self.jsonDoc(1, #"{"z":1}"#)])
        machine.bulkFinished(batchID: batch.id, outcome: .items([BulkItemResult(status: 201)]), now: 0)
        #expect(machine.stats.sent == 1)
        #expect(machine.stats.fieldsDeadLettered == 2)
    }

    @Test func aDocumentGoesWholeWhenNoFieldIsToBlame() {
        var machine = Self.connected(Self.policy(maxDocs: 2))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.jsonDoc(1, #"{"a":"x"}"#), now: 0)
        _ = machine.accept(Self.jsonDoc(2, #"{"b":"x"}"#), now: 0)
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        let missing = BulkItemResult(status: 404, errorType: "index_not_found_exception", reason: "no such index [x]")
        // The field named is not in document 2: nothing to remove there either.
        machine.bulkFinished(batchID: batch.id, outcome: .items([missing, Self.refusedA]), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(Self.sends(step).isEmpty)
        #expect(!step.actions.contains { if case .pinFields = $0 { true } else { false } })
        #expect(machine.stats.deadLettered == 2)
        #expect(machine.stats.fieldsDeadLettered == 0)
    }

    @Test func aReplayedDocumentWithoutTheFieldGoesBackToTheSpool() throws {
        var machine = Machine(
            policy: Self.policy(), endpointCount: 1, hasSpool: true, spoolHasData: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        #expect(machine.nextActions(now: 0).actions.last == .peekSpool(maxDocuments: 3))
        let spoolBatch = SpoolBatch(
            documents: [Self.jsonDoc(1, #"{"a":"x","b":1}"#)], position: .init(segment: 1, offset: 10))
        machine.spoolPeeked(spoolBatch, now: 0)
        let batch = try #require(Self.sends(machine.nextActions(now: 0)).first).batch
        machine.bulkFinished(batchID: batch.id, outcome: .items([Self.refusedA]), now: 0)
        let step = machine.nextActions(now: 0)
        // Durable again (without the field) before the replayed batch is acknowledged.
        let spooled = step.actions.firstIndex(of: .spool([Self.jsonDoc(1, #"{"b":1}"#)], reason: .requeued))
        let acknowledged = step.actions.firstIndex(of: .acknowledge(spoolBatch))
        #expect(spooled != nil && acknowledged != nil && spooled! < acknowledged!, "\(step.actions)")
    }

    static let overLimit = BulkItemResult(
        status: 400, errorType: "illegal_argument_exception", reason: "Limit of total fields [3] has been exceeded")

    @Test func atTheFieldLimitTheFieldsTheIndexDoesNotMapAreRemoved() throws {
        var machine = Self.connected(Self.policy(maxDocs: 3))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.jsonDoc(1, #"{"a":1,"new":2,"o.n":3}"#), now: 0)
        _ = machine.accept(Self.jsonDoc(2, #"{"a":1,"o.m":2}"#), now: 0)
        _ = machine.accept(Self.jsonDoc(3, #"{"a":1}"#), now: 0)
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(
            batchID: batch.id, outcome: .items([Self.overLimit, Self.overLimit, BulkItemResult(status: 201)]), now: 0)
        var step = machine.nextActions(now: 0)
        let asked = try #require(
            step.actions.compactMap { action -> [Machine.DeadLetter]? in
                if case .fetchMappings(let letters, origin: .live) = action { return letters }
                return nil
            }.first)
        #expect(asked.map(\.document.id) == ["id-1", "id-2"])
        #expect(Self.sends(step).isEmpty)
        // The index maps a, o and o.m; document 1's new and o.n have no room. Document 2's index
        // could not be read: it goes whole.
        let mapped: Set<String> = ["a", "o", "o.m"]
        machine.mappingsFetched([(asked[0], mapped), (asked[1], nil)], origin: .live, now: 0)
        step = machine.nextActions(now: 0)
        #expect(Self.sends(step).map(\.batch.documents) == [[Self.jsonDoc(1, #"{"a":1}"#)]])
        #expect(
            step.actions.contains(
                .pinFields(
                    reader: "app", paths: ["new", "o.n"], pin: .refused,
                    reason: "illegal_argument_exception: Limit of total fields [3] has been exceeded")))
        let letters = step.actions.flatMap { action -> [Machine.DeadLetter] in
            if case .deadLetter(let letters) = action { return letters }
            return []
        }
        #expect(letters.map(\.removedFields.count) == [2, 0])
        #expect(machine.stats.deadLettered == 1)
        #expect(machine.stats.fieldsDeadLettered == 2)
    }

    @Test func aReplayedBatchAtTheFieldLimitIsAcknowledgedOnlyAfterTheMapping() throws {
        var machine = Machine(
            policy: Self.policy(), endpointCount: 1, hasSpool: true, spoolHasData: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        _ = machine.nextActions(now: 0)
        let spoolBatch = SpoolBatch(
            documents: [Self.jsonDoc(1, #"{"a":1,"b":2}"#)], position: .init(segment: 1, offset: 1))
        machine.spoolPeeked(spoolBatch, now: 0)
        let batch = try #require(Self.sends(machine.nextActions(now: 0)).first).batch
        machine.bulkFinished(batchID: batch.id, outcome: .items([Self.overLimit]), now: 0)
        var step = machine.nextActions(now: 0)
        #expect(!step.actions.contains(.acknowledge(spoolBatch)))
        let asked = try #require(
            step.actions.compactMap { action -> [Machine.DeadLetter]? in
                if case .fetchMappings(let letters, _) = action { return letters }
                return nil
            }.first)
        machine.mappingsFetched([(asked[0], ["a"])], origin: .spool(spoolBatch), now: 0)
        step = machine.nextActions(now: 0)
        let spooled = step.actions.firstIndex(of: .spool([Self.jsonDoc(1, #"{"a":1}"#)], reason: .requeued))
        let acknowledged = step.actions.firstIndex(of: .acknowledge(spoolBatch))
        #expect(spooled != nil && acknowledged != nil && spooled! < acknowledged!, "\(step.actions)")
    }
}
