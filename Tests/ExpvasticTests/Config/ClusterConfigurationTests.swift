import Expvastic
import Testing

/// The `cluster` section: defaults, every problem reported with its path, and `--check`'s line.
@Suite struct ClusterConfigurationTests {
    func load(_ cluster: String) -> ConfigurationLoadResult {
        let yaml = """
            readers:
              app:
                type: expvar
                type_name: app
                endpoint: 127.0.0.1:8080
            recorders:
              out:
                type: file
                path: /dev/null
            routes:
              all:
                readers: [app]
                recorders: [out]
            \(cluster)
            """
        return ConfigurationLoader.load(
            yaml: yaml, baseDirectory: "/", environment: ["ETCD_PASSWORD": "s3cret"], strict: false)
    }

    @Test func withoutTheSectionThereIsNoPool() {
        #expect(load("").configuration?.cluster == nil)
    }

    @Test func defaultsFillTheRest() throws {
        let result = load("cluster:\n  etcd:\n    endpoints: [127.0.0.1:2379, https://etcd-2:2379]")
        let cluster = try #require(result.configuration?.cluster, "\(result.diagnostics)")
        #expect(cluster.endpoints.map(\.origin) == ["http://127.0.0.1:2379", "https://etcd-2:2379"])
        #expect(cluster.prefix == "/expvastic/")
        #expect(cluster.membersPrefix == "/expvastic/members/")
        #expect(cluster.member == nil)
        #expect(cluster.leaseTTL == .seconds(10))
        #expect(ClusterConfiguration.defaultMember(host: "web-1", pid: 42) == "web-1-42")
    }

    @Test func everyKeyIsRead() throws {
        let result = load(
            """
            cluster:
              etcd:
                endpoints: 10.0.0.1:2379
                username: shipper
                password: ${ETCD_PASSWORD}
              prefix: /expvastic/pool-a
              member: m1
              lease_ttl: 3s
            """)
        let cluster = try #require(result.configuration?.cluster, "\(result.diagnostics)")
        #expect(cluster.endpoints.map(\.origin) == ["http://10.0.0.1:2379"])
        #expect(cluster.prefix == "/expvastic/pool-a/")
        #expect(cluster.member == "m1")
        #expect(cluster.leaseTTL == .seconds(3))
        #expect(cluster.username == "shipper")
        #expect(cluster.password?.value == "s3cret")
        let line = CheckReport(configuration: result.configuration!).lines.first { $0.hasPrefix("cluster:") }
        #expect(
            line
                == "cluster: member m1, prefix /expvastic/pool-a/, lease_ttl 3s (refresh 1s), etcd http://10.0.0.1:2379, user shipper, password ******"
        )
    }

    @Test func problemsAreCollectedWithTheirPaths() {
        let result = load(
            """
            cluster:
              etcd:
                endpoints: [127.0.0.1:2379, "ftp://x:1"]
                username: shipper
              prefix: "a b"
              member: pool/m1
              lease_ttl: 1500ms
              leases: 3
            """)
        #expect(result.configuration == nil)
        let paths = Set(result.errors.map(\.path))
        #expect(
            paths == [
                "cluster.etcd.endpoints[1]", "cluster.prefix", "cluster.member", "cluster.lease_ttl",
            ], "\(result.errors)")
        #expect(result.warnings.map(\.path) == ["cluster.leases"])
    }

    @Test func credentialsComeInPairsAndEtcdIsRequired() {
        let missingPassword = load("cluster:\n  etcd:\n    endpoints: [127.0.0.1:2379]\n    username: shipper")
        #expect(missingPassword.errors.map(\.path) == ["cluster.etcd.password"])
        let noEtcd = load("cluster:\n  member: m1")
        #expect(noEtcd.errors.map(\.path) == ["cluster.etcd"])
        let noEndpoints = load("cluster:\n  etcd:\n    endpoints: []")
        #expect(noEndpoints.errors.map(\.path) == ["cluster.etcd.endpoints"])
        let tooLong = load("cluster:\n  etcd: {endpoints: [127.0.0.1:2379]}\n  lease_ttl: 10m")
        #expect(tooLong.errors.map(\.path) == ["cluster.lease_ttl"])
    }
}

/// The `etcd` discovery source: its own endpoints, or those of `cluster.etcd`.
@Suite struct EtcdTargetSourceConfigurationTests {
    func load(source: String, cluster: String = "") -> ConfigurationLoadResult {
        let yaml = """
            readers:
              api:
                type: expvar
                type_name: api
                targets:
                  - \(source)
            recorders:
              out:
                type: file
                path: /dev/null
            routes:
              all:
                readers: [api]
                recorders: [out]
            \(cluster)
            """
        return ConfigurationLoader.load(yaml: yaml, baseDirectory: "/", environment: [:], strict: false)
    }

    @Test func ownEndpointsAndDefaults() throws {
        let result = load(source: "etcd: {prefix: /targets/, endpoints: [127.0.0.1:2379]}")
        let source = try #require(result.configuration?.readers.first?.targets.first, "\(result.diagnostics)")
        guard case .etcd(let etcd) = source else {
            Issue.record("not an etcd source: \(source)")
            return
        }
        #expect(etcd.prefix == "/targets/")
        #expect(etcd.endpoints.map(\.origin) == ["http://127.0.0.1:2379"])
        #expect(etcd.refresh == .seconds(5))
        #expect(source.summary == "etcd /targets/ at http://127.0.0.1:2379 every 5s")
    }

    @Test func withoutEndpointsTheClustersAreUsed() throws {
        let result = load(
            source: "etcd: {prefix: /targets/, refresh: 1s}",
            cluster: "cluster:\n  etcd:\n    endpoints: [10.0.0.1:2379]\n    username: u\n    password: p")
        guard case .etcd(let etcd)? = result.configuration?.readers.first?.targets.first else {
            Issue.record("\(result.diagnostics)")
            return
        }
        #expect(etcd.endpoints.map(\.origin) == ["http://10.0.0.1:2379"])
        #expect(etcd.username == "u" && etcd.password?.value == "p")
        #expect(etcd.refresh == .seconds(1))
    }

    @Test func withoutEndpointsOrClusterItIsAnError() {
        let result = load(source: "etcd: {prefix: /targets/}")
        #expect(result.errors.map(\.path) == ["readers.api.targets[0].etcd.endpoints"])
        let noPrefix = load(source: "etcd: {endpoints: [127.0.0.1:2379]}")
        #expect(noPrefix.errors.map(\.path) == ["readers.api.targets[0].etcd.prefix"])
    }
}
