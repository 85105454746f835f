import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The index template a recorder installs for its index pattern (`template: true`), so that
/// Elasticsearch maps expvar fields predictably:
///
/// - `@timestamp` is a `date`; `type`, `reader`, `endpoint`, Prometheus `labels.*` and every string
///   are `keyword`
///   (strings longer than 1024 characters stay in `_source` but are not indexed);
/// - the Go runtime's integer fields (`memstats.*` counters and byte sizes, the `memstats.gc.*`
///   new-pause fields) are `long`, except `memstats.GCCPUFraction` and the pause averages;
/// - every other number is `double`: a Go `expvar.Float` that reads 0 is written as `0`, so a field
///   first seen as an integer must never be locked to `long`;
/// - date and numeric detection on strings are off, and the field count is limited, so that no
///   payload can cause a mapping explosion or a conflict between a "date-looking" string and a
///   later ordinary one.
///
/// `ignore_malformed` is deliberately not set: a value that does not fit its mapping makes the
/// document go to the dead-letter file with the reason, where it is visible, instead of silently
/// losing the field.
public struct IndexTemplate: Sendable, Equatable {
    /// Which template API the cluster supports.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// `PUT /_index_template/<name>` (Elasticsearch ≥ 7.8, OpenSearch).
        case composable
        /// `PUT /_template/<name>`, typeless mappings (Elasticsearch 7.0–7.7).
        case legacy
        /// `PUT /_template/<name>` with the `_doc` mapping wrapper (Elasticsearch 6.8).
        case legacyWithDocumentType
    }

    /// Longer strings are kept in `_source` but not indexed.
    public static let keywordIgnoreAbove = 1024
    /// Composable template priority: above Elasticsearch's built-in templates (100).
    public static let priority = 200

    /// The wildcard pattern of the indices it applies to, e.g. `expvastic-*`.
    public var indexPattern: String
    public var kind: Kind
    /// A data stream's template: composable, with `"data_stream": {}`.
    public var isDataStream = false

    public init(indexPattern: String, kind: Kind) {
        self.indexPattern = indexPattern
        self.kind = kind
    }

    /// The template of a data stream (`metrics-expvar.app-*`, name `metrics-expvar.app`).
    public init(dataStream: DataStream) {
        self.init(indexPattern: dataStream.templatePattern, kind: .composable)
        isDataStream = true
    }

    /// The template for every index an `index_name` can expand to.
    public init(indexName: IndexName, kind: Kind) {
        self.init(indexPattern: indexName.templatePattern, kind: kind)
    }

    /// The template's name, different for the patterns of a plain and of a dated `index_name` with
    /// the same base: a wildcard pattern is named without its wildcards and trailing separators
    /// (`expvastic-*` → `expvastic`, the name earlier versions installed), an exact pattern gets
    /// `-exact` (`coll` → `coll-exact`), so `coll` and `coll-%{+yyyy.MM.dd}` no longer install (and
    /// overwrite) the same template. Patterns that still meet on one name (`coll-*` and `coll*`)
    /// are kept apart by ``IndexTemplateClaims``.
    public var name: String {
        guard indexPattern.contains("*") else { return indexPattern + "-exact" }
        var base = indexPattern.filter { $0 != "*" }
        while let last = base.last, "-._".contains(last) { base.removeLast() }
        return base.isEmpty ? "expvastic" : base
    }

    /// The request target for `PUT`.
    public var path: String {
        switch kind {
        case .composable: "/_index_template/" + name
        case .legacy, .legacyWithDocumentType: "/_template/" + name
        }
    }

    /// The request body: pretty-printed JSON with a trailing newline, identical to the files under
    /// `dashboards/`.
    public var body: [UInt8] { Array(json.rendered().utf8) }

    /// The body as text.
    public var bodyText: String { json.rendered() }
}
