import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Which product and version answers `GET /`, and what that means for requests: the `_type` in
/// bulk action lines (Elasticsearch 6.8) and the kind of index template.
public struct ClusterVersion: Sendable, Equatable, CustomStringConvertible {
    /// The product behind the endpoint.
    public enum Distribution: String, Sendable, Equatable {
        case elasticsearch
        case opensearch
    }

    public var distribution: Distribution
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(distribution: Distribution, major: Int, minor: Int, patch: Int = 0) {
        self.distribution = distribution
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Reads the JSON that `GET /` returns: `version.number` (`"8.13.4"`, `"7.10.2-SNAPSHOT"`) and
    /// `version.distribution` (`"opensearch"`; absent for Elasticsearch).
    public init(rootResponse body: [UInt8]) throws(RecorderError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw RecorderError(
                code: "version_unreadable",
                message: "GET / did not return JSON (\(RecorderError.excerpt(body))); "
                    + "check that the endpoint is an Elasticsearch or OpenSearch node"
            )
        }
        guard let version = root["version"], let number = version["number"]?.string else {
            throw RecorderError(
                code: "version_unreadable",
                message: "GET / has no version.number (\(RecorderError.excerpt(body))); "
                    + "check that the endpoint is an Elasticsearch or OpenSearch node"
            )
        }
        let parts = number.split(separator: ".", maxSplits: 2).map { part in
            Int(part.prefix { $0.isASCII && $0.isNumber }) ?? 0
        }
        guard let major = parts.first, major > 0 else {
            throw RecorderError(
                code: "version_unreadable",
                message: "GET / reports version \"\(number)\", which is not a version number")
        }
        let distribution = version["distribution"]?.string?.lowercased() == "opensearch"
        self.init(
            distribution: distribution ? .opensearch : .elasticsearch,
            major: major,
            minor: parts.count > 1 ? parts[1] : 0,
            patch: parts.count > 2 ? parts[2] : 0
        )
    }

    /// Elasticsearch before 7 needs `"_type":"_doc"` in action lines and a `_doc` mapping wrapper.
    public var requiresDocumentType: Bool { distribution == .elasticsearch && major < 7 }

    /// Composable `_index_template` on Elasticsearch ≥ 7.8 and every OpenSearch; legacy `_template`
    /// before that.
    public var templateKind: IndexTemplate.Kind {
        switch distribution {
        case .opensearch: return .composable
        case .elasticsearch:
            if major >= 8 || (major == 7 && minor >= 8) { return .composable }
            return major < 7 ? .legacyWithDocumentType : .legacy
        }
    }

    /// Data streams: Elasticsearch ≥ 7.9 and every OpenSearch (≥ 1.0).
    public var supportsDataStreams: Bool {
        switch distribution {
        case .opensearch: true
        case .elasticsearch: major >= 8 || (major == 7 && minor >= 9)
        }
    }

    /// `elasticsearch 8.13.4`, `opensearch 2.11.0`.
    public var description: String { "\(distribution.rawValue) \(major).\(minor).\(patch)" }
}
