import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Encodes documents as an Elasticsearch `_bulk` body: for each document a `create` action line
/// with the deterministic `_id`, then the document, each line newline-terminated.
///
/// `create` (not `index`) makes re-sending safe: a document that is already stored answers
/// `409 version_conflict`, which the recorder counts as success.
public struct BulkEncoder: Sendable {
    /// The `Content-Type` of a bulk body.
    public static let contentType = "application/x-ndjson"

    /// Where documents go; a date pattern is expanded from each document's `@timestamp`.
    public var indexName: IndexName
    /// Adds `"_type":"_doc"` to action lines (Elasticsearch 6.8).
    public var includesDocumentType: Bool

    public init(indexName: IndexName, includesDocumentType: Bool = false) {
        self.indexName = indexName
        self.includesDocumentType = includesDocumentType
    }

    /// An encoder for the cluster that answered `GET /` (nil: not known yet, encode for 7.x and later).
    public init(indexName: IndexName, version: ClusterVersion?) {
        self.init(indexName: indexName, includesDocumentType: version?.requiresDocumentType ?? false)
    }

    /// The action line of one document, without the newline:
    /// `{"create":{"_index":"expvastic-2026.11.21","_id":"…"}}`.
    public func actionLine(for document: Document) -> String {
        var bytes: [UInt8] = []
        var cache = IndexCache()
        appendAction(for: document, index: cache.index(for: document.timestampMillis, name: indexName), to: &bytes)
        bytes.removeLast()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the action line and the document, both newline-terminated.
    public func append(_ document: Document, to buffer: inout [UInt8]) {
        var cache = IndexCache()
        append(document, cache: &cache, to: &buffer)
    }

    /// The complete bulk body for these documents.
    public func encode<Documents: Collection<Document>>(_ documents: Documents) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(documents.reduce(0) { $0 + $1.body.count + 96 + $1.id.utf8.count })
        var cache = IndexCache()
        // Borrowed from contiguous storage: iterating the collection copied every document
        // (retain and release of each of its references, measured in `bulk-encode-4k`).
        let done: Void? = documents.withContiguousStorageIfAvailable { stored in
            for index in stored.indices { append(stored[index], cache: &cache, to: &buffer) }
        }
        if done == nil {
            for document in documents { append(document, cache: &cache, to: &buffer) }
        }
        return buffer
    }

    /// Bytes one document adds to a bulk body (an estimate of the action line plus the exact body).
    public static func estimatedSize(of document: Document) -> Int {
        document.body.count + document.id.utf8.count + 64
    }

    package func append(_ document: Document, cache: inout IndexCache, to buffer: inout [UInt8]) {
        appendAction(for: document, index: cache.index(for: document.timestampMillis, name: indexName), to: &buffer)
        buffer.append(contentsOf: document.body)
        buffer.append(UInt8(ascii: "\n"))
    }

    private func appendAction(for document: Document, index: String, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: #"{"create":{"_index":"#.utf8)
        BulkEncoder.appendJSONString(index, to: &buffer)
        if includesDocumentType { buffer.append(contentsOf: #","_type":"_doc""#.utf8) }
        buffer.append(contentsOf: #","_id":"#.utf8)
        BulkEncoder.appendJSONString(document.id, to: &buffer)
        buffer.append(contentsOf: "}}\n".utf8)
    }

    /// Expanding a date pattern costs a calendar computation; consecutive documents of a batch
    /// almost always fall on the same UTC day, so the last answer is kept.
    package struct IndexCache {
        private var day: Int64 = .min
        private var name: String = ""

        package mutating func index(for millis: Int64, name indexName: IndexName) -> String {
            guard indexName.hasDatePattern else { return indexName.pattern }
            let (quotient, remainder) = millis.quotientAndRemainder(dividingBy: 86_400_000)
            let day = remainder < 0 ? quotient - 1 : quotient
            if day != self.day {
                self.day = day
                name = indexName.expand(millis: millis)
            }
            return name
        }
    }

    /// Appends `text` as a JSON string literal (quotes included), escaping what JSON requires.
    package static func appendJSONString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): buffer.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): buffer.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): buffer.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): buffer.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.append(contentsOf: #"\u00"#.utf8)
                buffer.append(hex[Int(byte >> 4)])
                buffer.append(hex[Int(byte & 0xF)])
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
