import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

extension ElasticsearchRecorder {
    /// Field-level `meta` exists from Elasticsearch 7.6 and in every OpenSearch.
    package static func supportsFieldMeta(_ version: ClusterVersion) -> Bool {
        version.distribution == .opensearch || version.major > 7 || (version.major == 7 && version.minor >= 6)
    }

    /// After a bulk request stored `documents`: puts the ``Document/fieldMeta`` they carry (a
    /// Prometheus reader's metric types) into the mapping of the indices they went to, with one
    /// `PUT <index>/_mapping` per index that lacks some (see ``FieldMetaLedger``).
    package func applyFieldMeta(_ documents: [Document], endpoint: Int, version: ClusterVersion) async {
        guard Self.supportsFieldMeta(version), documents.contains(where: { $0.fieldMetaList != nil }) else { return }
        let indexName = configuration.indexName
        let now = clock.monotonicNanos()
        // A batch's documents almost always fall on one day: expand the date pattern once per day.
        var cache = BulkEncoder.IndexCache()
        let updates = fieldMetaLedger.withLock {
            $0.updates(for: documents, index: { cache.index(for: $0, name: indexName) }, now: now)
        }
        for update in updates {
            let outcome: FieldMetaLedger.Outcome
            var reason = ""
            do {
                let response = try await transport.send(
                    request(
                        "PUT", endpoint: endpoint, path: "/" + update.index + "/_mapping",
                        contentType: "application/json", body: FieldMetaLedger.body(update.fields)))
                switch response.status {
                case 200..<300: outcome = .applied
                case 429, 500...: outcome = .failed
                default: outcome = .refused
                }
                if outcome != .applied {
                    reason = "HTTP \(response.status): \(BulkResponse.errorSummary(response.body))"
                }
            } catch {
                outcome = .failed
                reason = error.description
            }
            fieldMetaLedger.withLock { $0.finished(update, outcome: outcome, now: clock.monotonicNanos()) }
            let context = [
                "index": update.index, "recorder.fields": "\(update.fields.count)", "recorder.outcome": "\(outcome)",
            ]
            switch outcome {
            case .applied: logger.debug("field metadata (metric types) added to the mapping", context)
            case .refused:
                logger.warn(
                    "the cluster refused the metric types for the mapping (not retried for this index; documents "
                        + "are not affected): " + reason, context)
            case .failed:
                logger.debug("field metadata not added yet (retried in 60 s): " + reason, context)
            }
        }
    }
}
