import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// Which recorder of this process installs which index template on which cluster, so that one
/// recorder never overwrites a template another installed for a different index pattern (two
/// patterns can still meet on one ``IndexTemplate/name``: `coll-*` and `coll*`). Shared by every
/// Elasticsearch recorder that one ``ComponentFactory`` makes; a recorder that stops keeps its
/// claim (its replacement after a reload has the same name and claims it again).
public final class IndexTemplateClaims: Sendable {
    /// Who holds a template name on a cluster.
    public struct Claim: Sendable, Equatable {
        public var recorder: String
        public var pattern: String
    }

    private let claims = Mutex<[String: Claim]>([:])

    public init() {}

    /// Claims `name` on `cluster` (the recorder's first endpoint, e.g. `http://127.0.0.1:9200`)
    /// for `pattern`. Returns nil when the recorder may install it: nobody holds it, the holder is
    /// this recorder, or the holder installs the same pattern (the same template). Otherwise the
    /// holder's claim, and nothing changes.
    public func claim(name: String, cluster: String, pattern: String, recorder: String) -> Claim? {
        claims.withLock { claims in
            let key = cluster + " " + name
            if let held = claims[key], held.recorder != recorder, held.pattern != pattern { return held }
            claims[key] = Claim(recorder: recorder, pattern: pattern)
            return nil
        }
    }
}
