import ExpvasticBase
import ExpvasticCodecs

/// One entry of a reader's `targets:` list: where the job's targets come from.
public enum TargetSourceConfiguration: Sendable, Equatable {
    /// `static: [host:port, …]`: a fixed list.
    case `static`(addresses: [String])
    /// `file: {paths, refresh}`: Prometheus `file_sd` files (JSON or YAML).
    case file(File)
    /// `dns: {names, type, port, refresh, nameserver}`.
    case dns(DNS)
    /// `http: {url, refresh}`: Prometheus HTTP service discovery.
    case http(HTTP)
    /// `etcd: {prefix, endpoints, refresh}`: every key under a prefix holds a file_sd JSON list.
    case etcd(Etcd)

    /// `file:` keys.
    public struct File: Sendable, Equatable {
        /// `paths`: files or globs (`*`, `?`, `[…]` in the last path component); required. Relative
        /// paths are relative to the configuration file.
        public var paths: [String]
        /// `refresh`: how often the files are read again; default 30s.
        public var refresh: Duration = .seconds(30)

        public init(paths: [String]) { self.paths = paths }
    }

    /// `dns:` keys.
    public struct DNS: Sendable, Equatable {
        public enum RecordType: String, Sendable, Equatable, CaseIterable {
            case srv = "SRV"
            case a = "A"
            case aaaa = "AAAA"
        }

        /// `names`: the names to resolve; required.
        public var names: [String]
        /// `type`: SRV (default), A or AAAA.
        public var type: RecordType = .srv
        /// `port`: required for A and AAAA (SRV records carry their own).
        public var port: Int?
        /// `refresh`: the longest time an answer is used; a shorter TTL asks sooner; default 30s.
        public var refresh: Duration = .seconds(30)
        /// `nameserver`: `host:port` (port default 53); default the first `nameserver` of `/etc/resolv.conf`.
        public var nameserver: String?
        /// `timeout`: per query; default 2s.
        public var timeout: Duration = .seconds(2)

        public init(names: [String]) { self.names = names }
    }

    /// `http:` keys.
    public struct HTTP: Sendable, Equatable {
        /// `url`: answers a JSON list of target groups (Prometheus HTTP SD); required.
        public var url: Endpoint
        /// `refresh`: default 60s.
        public var refresh: Duration = .seconds(60)
        /// `timeout`: default 10s.
        public var timeout: Duration = .seconds(10)

        public init(url: Endpoint) { self.url = url }
    }

    /// `etcd:` keys.
    public struct Etcd: Sendable, Equatable {
        /// `prefix`: every key under it holds a JSON list of target groups (Prometheus file_sd);
        /// required.
        public var prefix: String
        /// `endpoints`: etcd's client URLs; default those of `cluster.etcd` (with its credentials).
        public var endpoints: [Endpoint]
        /// `cluster.etcd`'s user name and password, when the endpoints are the cluster's.
        public var username: String?
        public var password: Secret?
        /// `refresh`: how often the prefix is read again; default 5s.
        public var refresh: Duration = .seconds(5)
        /// `timeout`: per request; default 2s.
        public var timeout: Duration = .seconds(2)

        public init(prefix: String, endpoints: [Endpoint]) {
            self.prefix = prefix
            self.endpoints = endpoints
        }
    }

    /// `static`, `file`, `dns`, `http` or `etcd`: how `--check` and `/healthz` name the source.
    public var kind: String {
        switch self {
        case .static: "static"
        case .file: "file"
        case .dns: "dns"
        case .http: "http"
        case .etcd: "etcd"
        }
    }

    /// One line for `--check`: `file /etc/expvastic/targets/*.json every 30s`.
    public var summary: String {
        switch self {
        case .static(let addresses): "static \(addresses.joined(separator: ", "))"
        case .file(let file): "file \(file.paths.joined(separator: ", ")) every \(GoDuration.format(file.refresh))"
        case .dns(let dns):
            "dns \(dns.type.rawValue) \(dns.names.joined(separator: ", "))"
                + (dns.port.map { " port \($0)" } ?? "") + " every \(GoDuration.format(dns.refresh))"
                + (dns.nameserver.map { " via \($0)" } ?? "")
        case .http(let http): "http \(http.url) every \(GoDuration.format(http.refresh))"
        case .etcd(let etcd):
            "etcd \(etcd.prefix) at \(etcd.endpoints.map(\.origin).joined(separator: ",")) every "
                + GoDuration.format(etcd.refresh)
        }
    }
}

extension ReaderConfiguration {
    /// A discovered address joined with the job's `routepath`, as the loader joins `endpoint`.
    package static func targetURL(of address: String, routePath: String?) -> Endpoint? {
        // `Endpoint.parse` refuses ASCII white space itself; other white space (a no-break space in
        // a path) is refused here, looked for only in non-ASCII addresses (Character.isWhitespace at
        // 10,000 addresses costs).
        let hasWhitespace = !address.isASCIIBytes && address.contains(where: \.isWhitespace)
        guard !hasWhitespace, case .success(let endpoint) = Endpoint.parse(address) else {
            return nil
        }
        if let routePath { return endpoint.appending(path: routePath) }
        return endpoint.path == "/" ? endpoint.appending(path: ConfigurationLoader.defaultRoutePath) : endpoint
    }
}
