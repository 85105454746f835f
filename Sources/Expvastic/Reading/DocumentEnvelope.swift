import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The fields every document of a reader starts with: `@timestamp`, `type`, `reader`, `endpoint`
/// (SPEC §2.5) and a discovered target's `labels.<name>`, written by the reader, never taken from
/// the payload. Written first, so a payload
/// field of the same name is the duplicate that is dropped. `type` and `reader` are escaped once
/// for a job's readers; the endpoint and labels are the reader's own strings, copied as each
/// document is written (escaped there only when one needs it), not three arrays made for each of
/// 10,000 targets.
public struct DocumentEnvelope: Sendable {
    /// Escaped, quoted values.
    private let typeValue: [UInt8]
    private let readerValue: [UInt8]
    private let endpoint: String
    /// A discovered target's labels, sorted by name (written as `labels.<name>` keys).
    private let labels: [(name: String, value: String)]
    /// Neither the endpoint nor a label value needs escaping (checked once): they are copied as
    /// they are.
    private let plain: Bool

    /// - Parameter labels: sorted by name (``sortedLabels(_:)``).
    package init(type: String, reader: String, endpoint: String, labels: [(name: String, value: String)] = []) {
        self.init(
            quotedType: Self.quoted(type), quotedReader: Self.quoted(reader), endpoint: endpoint, labels: labels)
    }

    /// The same with `type` and `reader` already quoted (``quoted(_:)``): shared by a job's readers.
    package init(
        quotedType: [UInt8], quotedReader: [UInt8], endpoint: String, labels: [(name: String, value: String)] = []
    ) {
        typeValue = quotedType
        readerValue = quotedReader
        self.endpoint = endpoint
        self.labels = labels
        plain = !JSONWriter.needsEscaping(endpoint) && !labels.contains { JSONWriter.needsEscaping($0.value) }
    }

    /// A target's discovery labels as name-value pairs sorted by name (one array: a reader is made
    /// for each of 10,000 targets).
    package static func sortedLabels(_ labels: [String: String]) -> [(name: String, value: String)] {
        var pairs = labels.map { (name: $0.key, value: $0.value) }
        pairs.sort { $0.name < $1.name }
        return pairs
    }

    /// `text` as an escaped, quoted JSON string.
    package static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONWriter.appendString(text, to: &out)
        return out
    }

    /// Writes the four fields, `@timestamp` from `millis` (Unix milliseconds, UTC).
    package func write(millis: Int64, into encoder: inout DocumentEncoder) {
        encoder.beginField(escapedKey: Self.key("@timestamp"))
        RFC3339.appendQuoted(millis: millis, to: &encoder.out)
        encoder.endField()
        writeAfterTimestamp(into: &encoder)
    }

    /// The same with `@timestamp` already rendered (`RFC3339.appendQuoted`): for a reader that
    /// writes many documents of one time.
    package func write(quotedTimestamp: UnsafeRawBufferPointer, into encoder: inout DocumentEncoder) {
        encoder.beginField(escapedKey: Self.key("@timestamp"))
        encoder.out.append(bytes: quotedTimestamp)
        encoder.endField()
        writeAfterTimestamp(into: &encoder)
    }

    @inline(__always) private static func key(_ name: StaticString) -> UnsafeRawBufferPointer { name.rawBytes }

    private func writeAfterTimestamp(into encoder: inout DocumentEncoder) {
        encoder.beginField(escapedKey: Self.key("type"))
        encoder.out.append(contentsOf: typeValue)
        encoder.endField()
        encoder.beginField(escapedKey: Self.key("reader"))
        encoder.out.append(contentsOf: readerValue)
        encoder.endField()
        encoder.beginField(escapedKey: Self.key("endpoint"))
        writeQuoted(endpoint, into: &encoder.out)
        encoder.endField()
        for (name, value) in labels {
            encoder.beginField(Self.key("labels."), name)
            writeQuoted(value, into: &encoder.out)
            encoder.endField()
        }
    }

    /// `text` (the endpoint or a label value) quoted: copied as it is when ``plain``, else escaped.
    @inline(__always)
    private func writeQuoted(_ text: String, into out: inout [UInt8]) {
        let copied: Void? =
            plain
            ? text.utf8.withContiguousStorageIfAvailable { bytes in
                out.appendWriting(maxCount: bytes.count + 2) { target in
                    target[0] = 0x22
                    let end = target.store(UnsafeRawBufferPointer(bytes), at: 1)
                    target[end] = 0x22
                    return end + 1
                }
            } : nil
        if copied == nil { JSONWriter.appendString(text, to: &out) }
    }
}
