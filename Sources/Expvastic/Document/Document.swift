import ExpvasticBase

/// One poll's result, ready for any recorder: the encoded JSON object plus what recorders need
/// to route it (id, timestamp). Encoded once, shared by every recorder of the reader.
public struct Document: Sendable, Equatable {
    /// Deterministic from (reader name, endpoint, timestamp): re-sending can never duplicate.
    public var id: String
    /// `@timestamp`: the time the poll started, Unix milliseconds (UTC).
    public var timestampMillis: Int64
    /// The reader's name.
    public var reader: String
    /// The JSON object (UTF-8, keys sorted, no trailing newline).
    public var body: [UInt8]
    /// Mapping metadata for fields of this document and of its siblings from the same poll (a
    /// Prometheus scrape puts its metric types on its scrape document only). Not part of the body,
    /// and not kept by the spool or the write-ahead log: a replayed document carries none.
    public var fieldMeta: [FieldMeta] {
        get { fieldMetaList?.items ?? [] }
        set { fieldMetaList = newValue.isEmpty ? nil : FieldMeta.List(newValue) }
    }
    /// Boxed and nil for most documents: an empty array in every document cost bulk encoding 2.8 %
    /// in retains and releases (`bulk-encode-4k`, callgrind); a nil reference costs nothing.
    package var fieldMetaList: FieldMeta.List?

    public init(id: String, timestampMillis: Int64, reader: String, body: [UInt8], fieldMeta: [FieldMeta] = []) {
        self.id = id
        self.timestampMillis = timestampMillis
        self.reader = reader
        self.body = body
        self.fieldMetaList = fieldMeta.isEmpty ? nil : FieldMeta.List(fieldMeta)
    }

    /// The same with the metadata already boxed: a reader hands the same box to every poll with the
    /// same fields.
    package init(id: String, timestampMillis: Int64, reader: String, body: [UInt8], fieldMetaList: FieldMeta.List?) {
        self.id = id
        self.timestampMillis = timestampMillis
        self.reader = reader
        self.body = body
        self.fieldMetaList = fieldMetaList
    }
}

extension Document {
    /// The envelope every document starts with, written by its reader and never taken from the
    /// payload: `@timestamp`, `type`, `reader`, `endpoint`.
    public static let envelopeFieldNames = ["@timestamp", "type", "reader", "endpoint"]

    /// The `index.mapping.total_fields.limit` the shipped index template sets: what one index (and so
    /// one document) may map. A reader's `max_fields` defaults to this minus the envelope.
    public static let mappingFieldLimit = 2000
}
