import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Resolves a `dns` source with our own UDP resolver (``DNSClient``): `SRV` names give
/// `address:port` per record, the address taken from the answer's additional records or asked for
/// (A, then AAAA); `A` / `AAAA` names give `address:port` with the configured port. The answer is
/// valid for the smallest TTL seen (the refresh interval caps it). A name that does not exist is an
/// empty answer for that name; a timeout or server failure fails the whole answer (the last good
/// set is kept).
public struct DNSTargetFetcher: TargetFetcher {
    public let configuration: TargetSourceConfiguration.DNS
    private let nameserver: DNSNameserver
    private let executor: BlockingExecutor

    public init(configuration: TargetSourceConfiguration.DNS, executor: BlockingExecutor) {
        self.configuration = configuration
        self.nameserver = configuration.nameserver.flatMap(DNSNameserver.init) ?? DNSNameserver.system()
        self.executor = executor
    }

    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        let client = DNSClient(nameserver: nameserver, timeout: configuration.timeout)
        let configuration = self.configuration
        return try await executor.run { () throws(DiscoveryError) -> DiscoveryAnswer in
            var targets: [DiscoveredTarget] = []
            var ttl = UInt32.max
            for rawName in configuration.names {
                let name = rawName.hasSuffix(".") ? String(rawName.dropLast()) : rawName
                switch configuration.type {
                case .srv:
                    let response = try DNSTargetFetcher.ask(client, name, DNSMessage.typeSRV)
                    for case .srv(let owner, _, _, let port, let target, let recordTTL) in response.answers
                    where owner.lowercased() == name.lowercased() {
                        ttl = min(ttl, recordTTL)
                        var addresses = DNSTargetFetcher.addresses(of: target, in: response.additional)
                        if addresses.isEmpty {
                            let lookup = try DNSTargetFetcher.lookUp(client, target)
                            addresses = lookup.addresses
                            ttl = min(ttl, lookup.ttl)
                        }
                        let host = addresses.first.map { $0.address } ?? target
                        targets.append(DiscoveredTarget(address: DNSTargetFetcher.join(host, Int(port))))
                    }
                case .a, .aaaa:
                    let type = configuration.type == .a ? DNSMessage.typeA : DNSMessage.typeAAAA
                    let response = try DNSTargetFetcher.ask(client, name, type)
                    for (address, recordTTL) in DNSTargetFetcher.addresses(of: name, in: response.answers) {
                        ttl = min(ttl, recordTTL)
                        targets.append(
                            DiscoveredTarget(address: DNSTargetFetcher.join(address, configuration.port ?? 80)))
                    }
                }
            }
            let valid = ttl == .max ? nil : UInt64(ttl) * 1_000_000_000
            return DiscoveryAnswer(targets: targets, validForNanos: valid)
        }
    }

    private static func ask(_ client: DNSClient, _ name: String, _ type: UInt16) throws(DiscoveryError)
        -> DNSMessage.Response
    {
        do {
            return try client.query(name, type: type)
        } catch {
            let (code, problem): (String, String) =
                switch error {
                case .timeout: ("dns_timeout", "no answer within \(GoDuration.format(client.timeout))")
                case .socket(let message): ("dns_unreachable", message)
                case .malformed: ("dns_malformed", "the answer is not a valid DNS message")
                case .truncated:
                    ("dns_truncated", "the answer does not fit into one UDP datagram (TCP is not supported)")
                case .responseCode(let rcode): ("dns_error", "the server answered with error code \(rcode)")
                }
            throw DiscoveryError(
                code: code, message: "DNS \(name) via \(client.nameserver): \(problem); the last good targets are kept")
        }
    }

    /// A and AAAA records of `name` among `records` (A first).
    private static func addresses(of name: String, in records: [DNSMessage.Record]) -> [(address: String, ttl: UInt32)]
    {
        let wanted = name.lowercased()
        var v4: [(String, UInt32)] = []
        var v6: [(String, UInt32)] = []
        for record in records {
            switch record {
            case .a(let owner, let address, let ttl) where owner.lowercased() == wanted: v4.append((address, ttl))
            case .aaaa(let owner, let address, let ttl) where owner.lowercased() == wanted: v6.append((address, ttl))
            default: continue
            }
        }
        return (v4 + v6).map { (address: $0.0, ttl: $0.1) }
    }

    private static func lookUp(_ client: DNSClient, _ host: String) throws(DiscoveryError)
        -> (addresses: [(address: String, ttl: UInt32)], ttl: UInt32)
    {
        for type in [DNSMessage.typeA, DNSMessage.typeAAAA] {
            let found = addresses(of: host, in: try ask(client, host, type).answers)
            if !found.isEmpty { return (found, found.map(\.ttl).min() ?? .max) }
        }
        return ([], .max)
    }

    /// `10.0.0.5:8080`, `[fd00::5]:8080`.
    package static func join(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
