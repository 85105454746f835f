import ExpvasticBase
import ExpvasticCodecs

/// The optional `cluster` section (a pool of shippers on etcd).
extension ConfigurationLoader {
    package static let clusterKeys = ["etcd", "prefix", "member", "lease_ttl"]
    package static let clusterEtcdKeys = ["endpoints", "username", "password"]

    package mutating func loadCluster(_ node: YAMLNode) -> ClusterConfiguration? {
        guard !node.isNull else { return nil }
        let example = "cluster: {etcd: {endpoints: [127.0.0.1:2379]}, prefix: /expvastic/pool-a/}"
        guard node.entries != nil else {
            report(
                .error, .wrongType, "cluster",
                "must be a mapping (etcd, prefix, member, lease_ttl), not \(node.kindDescription)",
                hint: example, line: node.mark.line)
            return nil
        }
        checkKeys(node, path: "cluster", known: ConfigurationLoader.clusterKeys)
        let errorsBefore = errorCount
        var endpoints: [Endpoint] = []
        var username: String?
        var password: String?
        if let etcd = node["etcd"], !etcd.isNull {
            if etcd.entries == nil {
                report(
                    .error, .wrongType, "cluster.etcd",
                    "must be a mapping (endpoints, username, password), not \(etcd.kindDescription)",
                    hint: example, line: etcd.mark.line)
            } else {
                checkKeys(etcd, path: "cluster.etcd", known: ConfigurationLoader.clusterEtcdKeys)
                endpoints = clusterEndpoints(etcd["endpoints"], example: example)
                username = string(etcd["username"], path: "cluster.etcd.username")
                password = string(etcd["password"], path: "cluster.etcd.password")
                if (username == nil) != (password == nil), errorCount == errorsBefore {
                    report(
                        .error, .missingKey, username == nil ? "cluster.etcd.username" : "cluster.etcd.password",
                        "missing (\(username == nil ? "password" : "username") is set)",
                        hint: "etcd authentication needs both, e.g. password: ${ETCD_PASSWORD}")
                }
            }
        } else {
            report(.error, .missingKey, "cluster.etcd", "missing required key", hint: example, line: node.mark.line)
        }
        var prefix = ClusterConfiguration.defaultPrefix
        if let text = string(node["prefix"], path: "cluster.prefix") {
            if text.isEmpty || text.contains(where: \.isWhitespace) {
                report(
                    .error, .invalidValue, "cluster.prefix",
                    "\"\(text)\" must be a non-empty key prefix without spaces",
                    hint: "e.g. /expvastic/pool-a/", line: node["prefix"]?.mark.line)
            } else {
                prefix = text.hasSuffix("/") ? text : text + "/"
            }
        }
        let member = string(node["member"], path: "cluster.member")
        if let member, member.isEmpty || member.contains("/") || member.contains(where: \.isWhitespace) {
            report(
                .error, .invalidValue, "cluster.member", "\"\(member)\" must be a non-empty name without / or spaces",
                hint: "leave it out for <host name>-<pid>", line: node["member"]?.mark.line)
        }
        let ttl = duration(node["lease_ttl"], path: "cluster.lease_ttl")
        if let ttl {
            let nanos = ttl.nanoseconds
            if nanos % 1_000_000_000 != 0 || ttl < .seconds(2) || ttl > .seconds(300) {
                report(
                    .error, .invalidValue, "cluster.lease_ttl",
                    "\"\(GoDuration.format(ttl))\" must be whole seconds from 2s to 5m (etcd leases count seconds)",
                    hint: "e.g. lease_ttl: 10s", line: node["lease_ttl"]?.mark.line)
            }
        }
        guard errorCount == errorsBefore else { return nil }
        var cluster = ClusterConfiguration(endpoints: endpoints)
        cluster.username = username
        cluster.password = password.map(Secret.init)
        cluster.prefix = prefix
        cluster.member = member
        if let ttl { cluster.leaseTTL = ttl }
        return cluster
    }

    private mutating func clusterEndpoints(_ node: YAMLNode?, example: String) -> [Endpoint] {
        let path = "cluster.etcd.endpoints"
        guard let node, !node.isNull else {
            report(.error, .missingKey, path, "missing required key", hint: "list etcd's client URLs; " + example)
            return []
        }
        if node.scalar != nil {
            guard let list = stringList(node, path: path) else { return [] }
            return list.isEmpty ? [] : endpoint(node, path: path).map { [$0] } ?? []
        }
        guard let items = node.items else {
            report(
                .error, .wrongType, path, "expected a list of URLs, got \(node.kindDescription)", line: node.mark.line)
            return []
        }
        if items.isEmpty { report(.error, .missingKey, path, "is empty", hint: "list at least one URL") }
        var endpoints: [Endpoint] = []
        for (index, item) in items.enumerated() {
            if let endpoint = endpoint(item, path: "\(path)[\(index)]") { endpoints.append(endpoint) }
        }
        return endpoints
    }
}
