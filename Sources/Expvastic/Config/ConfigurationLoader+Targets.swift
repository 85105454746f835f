import ExpvasticBase
import ExpvasticCodecs

/// A reader's `targets:` list (discovery sources of a job).
extension ConfigurationLoader {
    package static let targetSourceKinds = ["static", "file", "dns", "http", "etcd"]
    package static let etcdSourceKeys = ["prefix", "endpoints", "refresh", "timeout"]
    package static let fileSourceKeys = ["paths", "refresh"]
    package static let dnsSourceKeys = ["names", "type", "port", "refresh", "nameserver", "timeout"]
    package static let httpSourceKeys = ["url", "refresh", "timeout"]

    /// Each entry is a one-key mapping: `- static: [...]`, `- file: {...}`, `- dns: {...}`, `- http: {...}`.
    package mutating func targetSources(_ node: YAMLNode?, path: String) -> [TargetSourceConfiguration]? {
        guard let node, !node.isNull else { return nil }
        guard let items = node.items else {
            report(
                .error, .wrongType, path, "expected a list of sources (- static: [...], - file: {...}, …)",
                hint: "write each source as a list item", line: node.mark.line)
            return nil
        }
        if items.isEmpty {
            report(
                .error, .invalidValue, path, "is empty", hint: "name at least one source, or use endpoint",
                line: node.mark.line)
            return nil
        }
        var sources: [TargetSourceConfiguration] = []
        var failed = false
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let entries = item.entries, entries.count == 1, let entry = entries.first else {
                report(
                    .error, .wrongType, itemPath, "expected one of static, file, dns, http or etcd as the only key",
                    hint: "e.g. - file: {paths: [targets/*.json]}", line: item.mark.line)
                failed = true
                continue
            }
            let sourcePath = itemPath + "." + entry.key
            let source: TargetSourceConfiguration?
            switch entry.key {
            case "static":
                source = stringList(entry.value, path: sourcePath).flatMap { addresses in
                    guard !addresses.isEmpty else {
                        report(
                            .error, .invalidValue, sourcePath, "is empty", hint: "list host:port addresses",
                            line: entry.keyMark.line)
                        return nil
                    }
                    return staticAddresses(addresses, node: entry.value, path: sourcePath)
                }
            case "file": source = fileSource(entry.value, path: sourcePath)
            case "dns": source = dnsSource(entry.value, path: sourcePath)
            case "http": source = httpSource(entry.value, path: sourcePath)
            case "etcd": source = etcdSource(entry.value, path: sourcePath)
            default:
                let suggestion = Suggestion.closest(to: entry.key, among: ConfigurationLoader.targetSourceKinds)
                report(
                    .error, .unknownType, sourcePath, "unknown target source \"\(entry.key)\"",
                    hint: (suggestion.map { "did you mean \($0)? " } ?? "") + "sources: static, file, dns, http, etcd",
                    line: entry.keyMark.line)
                source = nil
            }
            if let source { sources.append(source) } else { failed = true }
        }
        return failed ? nil : sources
    }

    private mutating func staticAddresses(_ addresses: [String], node: YAMLNode, path: String)
        -> TargetSourceConfiguration?
    {
        var failed = false
        for (index, address) in addresses.enumerated()
        where ReaderConfiguration.targetURL(of: address, routePath: nil) == nil {
            report(
                .error, .invalidEndpoint, "\(path)[\(index)]", "\"\(address)\" is not an address",
                hint: "use host:port, host:port/path or http(s)://host:port", line: node.mark.line)
            failed = true
        }
        return failed ? nil : .static(addresses: addresses)
    }

    /// A mapping for a source, or nil with an error.
    private mutating func sourceMapping(_ node: YAMLNode, path: String, keys: [String], example: String) -> Bool {
        guard node.entries != nil else {
            report(
                .error, .wrongType, path,
                "expected a mapping (\(keys.joined(separator: ", "))), got \(node.kindDescription)",
                hint: "e.g. \(example)", line: node.mark.line)
            return false
        }
        checkKeys(node, path: path, known: keys)
        return true
    }

    private mutating func refresh(_ node: YAMLNode, path: String) -> Duration? {
        duration(node["refresh"], path: path + ".refresh")
    }

    private mutating func fileSource(_ node: YAMLNode, path: String) -> TargetSourceConfiguration? {
        guard
            sourceMapping(
                node, path: path, keys: ConfigurationLoader.fileSourceKeys,
                example: "file: {paths: [/etc/expvastic/targets/*.json], refresh: 30s}")
        else { return nil }
        let errorsBefore = errorCount
        let paths = stringList(node["paths"], path: path + ".paths")
        if paths == nil || paths?.isEmpty == true {
            if errorCount == errorsBefore {
                report(
                    .error, .missingKey, path + ".paths", "missing required key",
                    hint: "Prometheus file_sd files (JSON or YAML), globs allowed", line: node.mark.line)
            }
        }
        let refresh = refresh(node, path: path)
        guard let paths, !paths.isEmpty, errorCount == errorsBefore else { return nil }
        var file = TargetSourceConfiguration.File(paths: paths.map(resolvedPath))
        if let refresh { file.refresh = refresh }
        return .file(file)
    }

    private mutating func dnsSource(_ node: YAMLNode, path: String) -> TargetSourceConfiguration? {
        guard
            sourceMapping(
                node, path: path, keys: ConfigurationLoader.dnsSourceKeys,
                example: "dns: {names: [_api._tcp.service.consul], type: SRV}")
        else { return nil }
        let errorsBefore = errorCount
        let names = stringList(node["names"], path: path + ".names")
        if (names == nil || names?.isEmpty == true) && errorCount == errorsBefore {
            report(
                .error, .missingKey, path + ".names", "missing required key",
                hint: "the DNS names to resolve, e.g. [_api._tcp.service.consul]", line: node.mark.line)
        }
        var type = TargetSourceConfiguration.DNS.RecordType.srv
        if let text = string(node["type"], path: path + ".type") {
            if let parsed = TargetSourceConfiguration.DNS.RecordType(rawValue: text.uppercased()) {
                type = parsed
            } else {
                report(
                    .error, .invalidValue, path + ".type", "unknown record type \"\(text)\"",
                    hint: "use SRV, A or AAAA",
                    line: node["type"]?.mark.line)
            }
        }
        let port = integer(node["port"], path: path + ".port", range: 1...65535)
        if type != .srv, port == nil, node["port"] == nil {
            report(
                .error, .missingKey, path + ".port", "missing required key",
                hint: "\(type.rawValue) records carry no port; say which one to poll", line: node.mark.line)
        }
        let refresh = refresh(node, path: path)
        let timeout = duration(node["timeout"], path: path + ".timeout")
        let nameserver = string(node["nameserver"], path: path + ".nameserver")
        if let nameserver, DNSNameserver(nameserver) == nil {
            report(
                .error, .invalidValue, path + ".nameserver",
                "\"\(nameserver)\" is not an IP address (with optional :port)",
                hint: "e.g. 127.0.0.1:53 or [::1]:5353", line: node["nameserver"]?.mark.line)
        }
        guard let names, !names.isEmpty, errorCount == errorsBefore else { return nil }
        var dns = TargetSourceConfiguration.DNS(names: names)
        dns.type = type
        dns.port = port
        dns.nameserver = nameserver
        if let refresh { dns.refresh = refresh }
        if let timeout { dns.timeout = timeout }
        return .dns(dns)
    }

    private mutating func httpSource(_ node: YAMLNode, path: String) -> TargetSourceConfiguration? {
        guard
            sourceMapping(
                node, path: path, keys: ConfigurationLoader.httpSourceKeys, example: "http: {url: http://cmdb:8080/sd}")
        else { return nil }
        let errorsBefore = errorCount
        if node["url"] == nil || node["url"]?.isNull == true {
            report(
                .error, .missingKey, path + ".url", "missing required key",
                hint: "where the Prometheus HTTP SD list is served", line: node.mark.line)
        }
        let url = node["url"].flatMap { endpoint($0, path: path + ".url") }
        let refresh = refresh(node, path: path)
        let timeout = duration(node["timeout"], path: path + ".timeout")
        guard let url, errorCount == errorsBefore else { return nil }
        var http = TargetSourceConfiguration.HTTP(url: url)
        if let refresh { http.refresh = refresh }
        if let timeout { http.timeout = timeout }
        return .http(http)
    }

    /// An `etcd` source; without `endpoints` it is completed from `cluster.etcd` by
    /// ``completeEtcdSources(_:cluster:)``.
    private mutating func etcdSource(_ node: YAMLNode, path: String) -> TargetSourceConfiguration? {
        guard
            sourceMapping(
                node, path: path, keys: ConfigurationLoader.etcdSourceKeys,
                example: "etcd: {prefix: /expvastic/targets/}")
        else { return nil }
        let errorsBefore = errorCount
        let prefix = string(
            node["prefix"], path: path + ".prefix", required: true,
            hint: "every key under it holds a file_sd JSON list, e.g. prefix: /expvastic/targets/")
        var endpoints: [Endpoint] = []
        if let list = node["endpoints"], !list.isNull {
            if list.scalar != nil {
                if stringList(list, path: path + ".endpoints") != nil,
                    let one = endpoint(list, path: path + ".endpoints")
                {
                    endpoints = [one]
                }
            } else if let items = list.items {
                for (index, item) in items.enumerated() {
                    if let one = endpoint(item, path: "\(path).endpoints[\(index)]") { endpoints.append(one) }
                }
            } else {
                report(.error, .wrongType, path + ".endpoints", "expected a list of URLs", line: list.mark.line)
            }
        }
        let refresh = refresh(node, path: path)
        let timeout = duration(node["timeout"], path: path + ".timeout")
        guard let prefix, errorCount == errorsBefore else { return nil }
        var etcd = TargetSourceConfiguration.Etcd(prefix: prefix, endpoints: endpoints)
        if let refresh { etcd.refresh = refresh }
        if let timeout { etcd.timeout = timeout }
        return .etcd(etcd)
    }

    /// Gives `etcd` sources without `endpoints` those (and the credentials) of `cluster.etcd`; an
    /// error for each when there is no `cluster` section.
    package mutating func completeEtcdSources(_ readers: [ReaderConfiguration], cluster: ClusterConfiguration?)
        -> [ReaderConfiguration]
    {
        var readers = readers
        for readerIndex in readers.indices {
            for (index, source) in readers[readerIndex].targets.enumerated() {
                guard case .etcd(var etcd) = source, etcd.endpoints.isEmpty else { continue }
                guard let cluster else {
                    report(
                        .error, .missingKey, "readers.\(readers[readerIndex].name).targets[\(index)].etcd.endpoints",
                        "missing (there is no cluster section to take them from)",
                        hint: "list etcd's client URLs, e.g. endpoints: [127.0.0.1:2379]")
                    continue
                }
                etcd.endpoints = cluster.endpoints
                etcd.username = cluster.username
                etcd.password = cluster.password
                readers[readerIndex].targets[index] = .etcd(etcd)
            }
        }
        return readers
    }
}
