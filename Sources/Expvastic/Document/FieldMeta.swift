import ExpvasticBase

/// What a reader knows about one field of its documents beyond its value, for Elasticsearch's
/// field-level mapping `meta` (Elasticsearch ≥ 7.6, OpenSearch): a Prometheus reader says which
/// fields are counters and which are gauges, so that the index's mapping carries the metric type
/// (`GET <index>/_mapping` shows it) for dashboards and a later time-series mode.
///
/// Elasticsearch allows at most 5 entries per field, keys of at most 20 characters and values of
/// at most 50; every ``FieldMeta`` a reader makes stays within that.
public struct FieldMeta: Sendable, Hashable {
    /// One `meta` entry.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The field's full name in the document (`http_requests_total`).
    public var field: String
    /// The mapping type the field is written as (`double`); a mapping update must name it.
    public var mappingType: String
    /// The `meta` entries, sorted by key.
    public var entries: [Entry]

    public init(field: String, mappingType: String, entries: [Entry]) {
        self.field = field
        self.mappingType = mappingType
        self.entries = entries.sorted { $0.key < $1.key }
    }

    /// An immutable, shared list of ``FieldMeta`` (see ``Document/fieldMeta``).
    package final class List: Sendable, Equatable {
        package let items: [FieldMeta]

        package init(_ items: [FieldMeta]) { self.items = items }

        package static func == (lhs: List, rhs: List) -> Bool { lhs === rhs || lhs.items == rhs.items }
    }
}
