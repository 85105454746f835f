import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The recorder's side of field-level dead letters: pinning what the cluster refused for the
/// readers, and reading index mappings when a document is refused at the field limit.
extension ElasticsearchRecorder {
    /// Pins `paths` for `reader` (``FieldPins``) and logs the newly pinned ones in one line.
    package func pin(_ paths: [String], as pin: FieldPin, reader: String, reason: String, deadLetterPath: String) {
        let new = paths.filter { fieldPins?.pin($0, as: pin, reader: reader) ?? true }
        guard !new.isEmpty else { return }
        let shown = new.prefix(5).joined(separator: ", ") + (new.count > 5 ? " and \(new.count - 5) more" : "")
        logger.warn(
            "the cluster refused field\(new.count == 1 ? "" : "s") \(shown) of reader \(reader) (\(reason)); "
                + "the refused documents are sent again without \(new.count == 1 ? "it" : "them") and the removed "
                + "values are in the dead-letter file"
                + (fieldPins == nil ? "" : "; later polls " + Self.describe(pin)),
            ["reader.name": reader, "file": deadLetterPath])
    }

    /// What the reader does with a pinned field, for the log line.
    package static func describe(_ pin: FieldPin) -> String {
        switch pin {
        case .kind(.object): "keep only fields nested under it (the cluster maps it as an object)"
        case .kind(let kind): "keep it only as a \(kind) (the cluster's mapping) and drop what is nested under it"
        case .refused: "leave it out"
        }
    }

    /// For each letter, the paths its index maps (`GET /<index>/_mapping`, one request per index, on
    /// the first endpoint that answers); nil where no mapping could be read.
    package func mappings(
        for letters: [BulkStateMachine.DeadLetter]
    ) async -> [(letter: BulkStateMachine.DeadLetter, mapped: Set<String>?)] {
        var cache = BulkEncoder.IndexCache()
        let indices = letters.map { cache.index(for: $0.document.timestampMillis, name: configuration.indexName) }
        var mapped: [String: Set<String>] = [:]
        for index in Set(indices) {
            for endpoint in configuration.endpoints.indices {
                guard
                    let response = try? await transport.send(
                        request("GET", endpoint: endpoint, path: "/" + index + "/_mapping")),
                    (200..<300).contains(response.status)
                else { continue }
                if let paths = MappedFields.parse(response.body) { mapped[index] = paths }
                break
            }
            if mapped[index] == nil {
                logger.warn(
                    "cannot read the mapping of \(index) to find the fields over its limit; "
                        + "the refused documents go to the dead-letter file whole", ["index": index])
            }
        }
        return zip(letters, indices).map { ($0, mapped[$1]) }
    }
}
