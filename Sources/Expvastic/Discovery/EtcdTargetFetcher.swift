import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Reads the targets stored in etcd (the configuration-store model): every key under `prefix` holds
/// a JSON list of target groups in the Prometheus file_sd format, so an operator adds a target with
/// one `etcdctl put`. The prefix is watched (etcd's streamed `/v3/watch`, from the revision of the
/// last range), and read again at each change, so a put or a delete is followed within a round trip;
/// the refresh's range is the safety net. A key whose value is not such a list fails the whole
/// answer, naming the key, and the last good set is kept. Values that did not change since the last
/// range are not parsed again (see ``TargetContentCache``).
public struct EtcdTargetFetcher: WatchableTargetFetcher {
    public let prefix: String
    private let client: EtcdClient
    private let watchDuration: Duration
    private let cache = TargetContentCache()

    /// - Parameter watchDuration: how long one watch request lasts before it is made again.
    public init(prefix: String, client: EtcdClient, watchDuration: Duration = .seconds(60)) {
        self.prefix = prefix
        self.client = client
        self.watchDuration = watchDuration
    }

    public func watch(after version: Int64, onChange: @escaping @Sendable () -> Void) async throws(DiscoveryError) {
        do {
            try await client.watch(prefix: prefix, fromRevision: version + 1, duration: watchDuration) { _ in
                onChange()
            }
        } catch {
            throw DiscoveryError(code: "etcd_watch_" + error.code.rawValue, message: "\(error)")
        }
    }

    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        let range: EtcdRange
        do {
            range = try await client.range(prefix: prefix)
        } catch {
            throw DiscoveryError(
                code: "etcd_" + error.code.rawValue, message: "\(error); the last good targets are kept")
        }
        let targets = try cache.targets(of: range.keyValues.map { ("etcd key \($0.key)", $0.value) }) {
            origin, value throws(DiscoveryError) in try TargetGroups.parse(json: value, origin: origin)
        }
        return DiscoveryAnswer(targets: targets, version: range.revision)
    }
}
