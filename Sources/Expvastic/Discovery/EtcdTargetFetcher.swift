/// Reads the targets stored in etcd (the configuration-store model): every key under `prefix` holds
/// a JSON list of target groups in the Prometheus file_sd format, so an operator adds a target with
/// one `etcdctl put`. The prefix is read again every refresh (a range, not a watch; see
/// ``EtcdClient``). A key whose value is not such a list fails the whole answer, naming the key, and
/// the last good set is kept.
public struct EtcdTargetFetcher: TargetFetcher {
    public let prefix: String
    private let client: EtcdClient

    public init(prefix: String, client: EtcdClient) {
        self.prefix = prefix
        self.client = client
    }

    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        let range: EtcdRange
        do {
            range = try await client.range(prefix: prefix)
        } catch {
            throw DiscoveryError(
                code: "etcd_" + error.code.rawValue, message: "\(error); the last good targets are kept")
        }
        var targets: [DiscoveredTarget] = []
        for entry in range.keyValues {
            targets += try TargetGroups.parse(json: entry.value, origin: "etcd key \(entry.key)")
        }
        return DiscoveryAnswer(targets: targets)
    }
}
