import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// `<spool_dir>/dead-letter.ndjson`: documents Elasticsearch rejected for good, one JSON object per
/// line with the action line, the document, the status and the error, so they can be fixed and
/// re-sent by hand. Rotates at `dead_letter_max_bytes` (default 64 MiB), keeping one previous file.
///
/// Appending blocks on `fsync`: the recorder calls it through its ``BlockingExecutor``.
package final class DeadLetterFile: Sendable {
    /// The file name inside the spool directory.
    package static let fileName = "dead-letter.ndjson"

    private let file: RotatingFile
    package var path: String { file.path }

    package init(directory: String, maxBytes: Int = 64 << 20) {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        file = RotatingFile(path: base + "/" + DeadLetterFile.fileName, maxBytes: maxBytes, maxFiles: 1)
    }

    /// Appends and fsyncs:
    /// `{"@timestamp":…,"recorder":…,"status":400,"error":{"type":…,"reason":…},"action":{…},"document":{…}}`,
    /// or for fields taken out of a document that was sent again without them,
    /// `{…,"action":{…},"removed_fields":{"<path>":<value>,…},"resent":true}`.
    package func append(
        _ letters: [BulkStateMachine.DeadLetter], recorder: String, encoder: BulkEncoder, wallMillis: Int64
    ) throws(RecorderError) {
        for letter in letters {
            var line: [UInt8] = Array(#"{"@timestamp":"#.utf8)
            BulkEncoder.appendJSONString(RFC3339.format(millis: wallMillis), to: &line)
            line += Array(#","recorder":"#.utf8)
            BulkEncoder.appendJSONString(recorder, to: &line)
            line += Array(#","status":\#(letter.status),"error":{"type":"#.utf8)
            BulkEncoder.appendJSONString(letter.errorType, to: &line)
            line += Array(#","reason":"#.utf8)
            BulkEncoder.appendJSONString(letter.reason, to: &line)
            line += Array(#"},"action":"#.utf8)
            line += Array(encoder.actionLine(for: letter.document).utf8)
            if letter.removedFields.isEmpty {
                line += Array(#","document":"#.utf8)
                line += letter.document.body
                line += Array("}\n".utf8)
            } else {
                line += Array(#","removed_fields":{"#.utf8)
                for (index, field) in letter.removedFields.enumerated() {
                    if index > 0 { line.append(UInt8(ascii: ",")) }
                    BulkEncoder.appendJSONString(field.path, to: &line)
                    line.append(UInt8(ascii: ":"))
                    line += field.value
                }
                line += Array(#"},"resent":true}"#.utf8)
                line.append(UInt8(ascii: "\n"))
            }
            try file.append(line)
        }
        try file.sync()
    }

    package func close() { file.close() }
}
