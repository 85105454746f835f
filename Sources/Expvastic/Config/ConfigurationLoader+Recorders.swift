import ExpvasticBase
import ExpvasticCodecs

/// Entries of the `recorders` section.
extension ConfigurationLoader {
    package static let recorderTypes = ["elasticsearch", "file"]
    package static let elasticsearchKeys = [
        "type", "log_level", "endpoint", "endpoints", "index_name", "timeout", "backoff", "username", "password",
        "api_key", "bulk_max_docs", "bulk_max_bytes", "flush_interval", "spool_dir", "spool_max_bytes", "template",
        "queue_size", "queue_max_bytes", "dead_letter_max_bytes", "compression", "data_stream", "wal",
        "wal_sync_interval",
    ]
    package static let dataStreamKeys = ["type", "dataset", "namespace"]
    package static let fileKeys = ["type", "log_level", "path", "index_name", "max_bytes", "max_files"]

    package mutating func recorder(name: String, node: YAMLNode, path: String) -> RecorderConfiguration? {
        guard node.entries != nil else {
            if node.isNull {
                report(
                    .error, .missingKey, path + ".type", "missing required key",
                    hint: "a recorder needs at least type (elasticsearch or file)", line: node.mark.line)
            } else {
                report(
                    .error, .wrongType, path,
                    "expected a mapping of recorder keys (type, endpoint, …), got \(node.kindDescription)",
                    line: node.mark.line)
            }
            return nil
        }
        let errorsBefore = errorCount
        let type = string(node["type"], path: path + ".type", required: true, hint: "use elasticsearch or file")
        let level = logLevel(node["log_level"], path: path + ".log_level")
        let kind: RecorderConfiguration.Kind?
        switch type {
        case "elasticsearch":
            checkKeys(
                node, path: path, known: ConfigurationLoader.elasticsearchKeys,
                elsewhere: ConfigurationLoader.notUsed(ConfigurationLoader.fileKeys, by: "elasticsearch recorders"))
            kind = elasticsearch(name: name, node: node, path: path).map { .elasticsearch($0) }
        case "file":
            checkKeys(
                node, path: path, known: ConfigurationLoader.fileKeys,
                elsewhere: ConfigurationLoader.notUsed(ConfigurationLoader.elasticsearchKeys, by: "file recorders"))
            kind = file(node: node, path: path).map { .file($0) }
        case let other?:
            let suggestion = Suggestion.closest(to: other, among: ConfigurationLoader.recorderTypes)
            report(
                .error, .unknownType, path + ".type", "unknown recorder type \"\(other)\"",
                hint: (suggestion.map { "did you mean \($0)? " } ?? "") + "recorder types: elasticsearch, file",
                line: node["type"]?.mark.line)
            checkKeys(
                node, path: path,
                known: Array(Set(ConfigurationLoader.elasticsearchKeys + ConfigurationLoader.fileKeys)).sorted())
            kind = nil
        case nil:
            kind = nil
        }
        guard let kind, errorCount == errorsBefore else { return nil }
        return RecorderConfiguration(name: name, kind: kind, logLevel: level)
    }

    private static func notUsed(_ keys: [String], by noun: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, "is not used by \(noun)") })
    }

    private mutating func elasticsearch(name: String, node: YAMLNode, path: String) -> ElasticsearchConfiguration? {
        let errorsBefore = errorCount
        var endpoints: [Endpoint] = []
        let single = node["endpoint"].flatMap { $0.isNull ? nil : $0 }
        let several = node["endpoints"].flatMap { $0.isNull ? nil : $0 }
        switch (single, several) {
        case (nil, nil):
            report(
                .error, .missingKey, path + ".endpoint", "missing required key",
                hint: "set endpoint: 127.0.0.1:9200, or endpoints: [a:9200, b:9200]", line: node.mark.line)
        case (.some, .some):
            report(
                .error, .conflictingKeys, path + ".endpoints", "endpoint and endpoints are both set",
                hint: "use endpoint for one cluster node or endpoints for several", line: several?.mark.line)
        case (let single?, nil):
            if single.items != nil {
                report(
                    .error, .wrongType, path + ".endpoint", "expected one URL, got a list",
                    hint: "use endpoints for several", line: single.mark.line)
            } else if let endpoint = endpoint(single, path: path + ".endpoint") {
                endpoints = [endpoint]
            }
        case (nil, let several?):
            if let scalar = several.scalar {
                if let hint = ConfigurationLoader.commaSeparatedList(scalar.value) {
                    report(
                        .error, .wrongType, path + ".endpoints", "\"\(scalar.value)\" is one string, not a list",
                        hint: hint, line: several.mark.line)
                } else if let endpoint = endpoint(several, path: path + ".endpoints") {
                    endpoints = [endpoint]
                }
            } else if let items = several.items {
                if items.isEmpty {
                    report(.error, .missingKey, path + ".endpoints", "is empty", hint: "list at least one URL")
                }
                for (index, item) in items.enumerated() {
                    if let endpoint = endpoint(item, path: "\(path).endpoints[\(index)]") { endpoints.append(endpoint) }
                }
            } else {
                report(
                    .error, .wrongType, path + ".endpoints", "expected a list of URLs, got \(several.kindDescription)",
                    line: several.mark.line)
            }
        }
        let dataStream = dataStream(node["data_stream"], path: path + ".data_stream")
        let hasIndexName = node["index_name"].map { !$0.isNull } ?? false
        if dataStream != nil, hasIndexName {
            report(
                .error, .conflictingKeys, path + ".data_stream", "data_stream and index_name are both set",
                hint: "a data stream is named <type>-<dataset>-<namespace>: remove index_name")
        }
        let streamIndex = dataStream.flatMap { try? IndexName($0.name) }
        let namedIndex = indexName(
            node["index_name"], path: path + ".index_name", required: node["data_stream"].map { $0.isNull } ?? true)
        let indexName = streamIndex ?? namedIndex
        let timeout = duration(node["timeout"], path: path + ".timeout")
        let backoff = integer(node["backoff"], path: path + ".backoff", range: 1...Int.max)
        let username = string(node["username"], path: path + ".username")
        let password = string(node["password"], path: path + ".password")
        let apiKey = string(node["api_key"], path: path + ".api_key")
        // Presence, not value: a value that failed to load is reported already.
        let hasUsername = node["username"].map { !$0.isNull } ?? false
        let hasPassword = node["password"].map { !$0.isNull } ?? false
        if hasUsername, !hasPassword {
            report(
                .error, .missingKey, path + ".password", "missing (username is set)",
                hint: "set password, e.g. password: ${ES_PASSWORD}")
        }
        if hasPassword, !hasUsername {
            report(.error, .missingKey, path + ".username", "missing (password is set)")
        }
        if node["api_key"].map({ !$0.isNull }) ?? false, hasUsername || hasPassword {
            report(
                .error, .conflictingKeys, path + ".api_key", "api_key and username/password are both set",
                hint: "use one way to authenticate")
        }
        let bulkMaxDocs = integer(node["bulk_max_docs"], path: path + ".bulk_max_docs", range: 1...1_000_000)
        let bulkMaxBytes = size(node["bulk_max_bytes"], path: path + ".bulk_max_bytes")
        let flushInterval = duration(node["flush_interval"], path: path + ".flush_interval")
        let spoolDirectory = string(node["spool_dir"], path: path + ".spool_dir")
        if let spoolDirectory, spoolDirectory.isEmpty {
            report(
                .error, .invalidValue, path + ".spool_dir", "is empty", hint: "leave it out for ./data/spool/\(name)")
        }
        let spoolMaxBytes = size(node["spool_max_bytes"], path: path + ".spool_max_bytes")
        let template = bool(node["template"], path: path + ".template")
        let queueSize = integer(node["queue_size"], path: path + ".queue_size", range: 1...Int.max)
        var compression: ElasticsearchConfiguration.Compression?
        if let text = string(node["compression"], path: path + ".compression") {
            compression = ElasticsearchConfiguration.Compression(rawValue: text)
            if compression == nil {
                report(
                    .error, .invalidValue, path + ".compression", "unknown compression \"\(text)\"",
                    hint: "use gzip (the default) or none", line: node["compression"]?.mark.line)
            }
        }
        let writeAheadLog = bool(node["wal"], path: path + ".wal")
        let walSyncInterval = duration(node["wal_sync_interval"], path: path + ".wal_sync_interval")
        let queueMaxBytes = size(node["queue_max_bytes"], path: path + ".queue_max_bytes")
        let deadLetterMaxBytes = size(node["dead_letter_max_bytes"], path: path + ".dead_letter_max_bytes")

        guard let indexName, errorCount == errorsBefore else { return nil }
        var configuration = ElasticsearchConfiguration(
            endpoints: endpoints, indexName: indexName, spoolDirectory: spoolDirectory ?? "./data/spool/\(name)")
        if let timeout { configuration.timeout = timeout }
        if let backoff { configuration.backoff = backoff }
        configuration.username = username
        configuration.password = password.map(Secret.init)
        configuration.apiKey = apiKey.map(Secret.init)
        if let bulkMaxDocs { configuration.bulkMaxDocs = bulkMaxDocs }
        if let bulkMaxBytes { configuration.bulkMaxBytes = bulkMaxBytes }
        if let flushInterval { configuration.flushInterval = flushInterval }
        if let spoolMaxBytes { configuration.spoolMaxBytes = spoolMaxBytes }
        if let template { configuration.template = template }
        if let queueSize { configuration.queueSize = queueSize }
        if let compression { configuration.compression = compression }
        configuration.dataStream = dataStream
        if let writeAheadLog { configuration.writeAheadLog = writeAheadLog }
        if let walSyncInterval { configuration.walSyncInterval = walSyncInterval }
        if let queueMaxBytes { configuration.queueMaxBytes = queueMaxBytes }
        if let deadLetterMaxBytes { configuration.deadLetterMaxBytes = deadLetterMaxBytes }
        return configuration
    }

    private mutating func dataStream(_ node: YAMLNode?, path: String) -> DataStream? {
        guard let node, !node.isNull else { return nil }
        guard node.entries != nil else {
            report(
                .error, .wrongType, path, "expected a mapping, got \(node.kindDescription)",
                hint: "e.g. data_stream: {type: metrics, dataset: expvar.app, namespace: default}", line: node.mark.line
            )
            return nil
        }
        checkKeys(node, path: path, known: ConfigurationLoader.dataStreamKeys)
        let errorsBefore = errorCount
        let type = string(node["type"], path: path + ".type")
        let dataset = string(node["dataset"], path: path + ".dataset", required: true, hint: "e.g. dataset: expvar.app")
        let namespace = string(node["namespace"], path: path + ".namespace")
        guard let dataset, errorCount == errorsBefore else { return nil }
        let stream = DataStream(type: type ?? "metrics", dataset: dataset, namespace: namespace ?? "default")
        for (key, value) in [("type", stream.type), ("dataset", stream.dataset), ("namespace", stream.namespace)] {
            if value.isEmpty || value.contains("-") || value != value.lowercased() {
                report(
                    .error, .invalidValue, path + "." + key, "\"\(value)\" is not a data stream \(key)",
                    hint: "lower case, not empty, no - (it separates type, dataset and namespace)",
                    line: node[key]?.mark.line)
            }
        }
        guard errorCount == errorsBefore else { return nil }
        do {
            _ = try IndexName(stream.name)
        } catch {
            report(.error, .invalidIndexName, path, error.description, line: node.mark.line)
            return nil
        }
        return stream
    }

    private mutating func file(node: YAMLNode, path: String) -> FileRecorderConfiguration? {
        let errorsBefore = errorCount
        let filePath = string(
            node["path"], path: path + ".path", required: true, hint: "where to write, e.g. ./data/expvastic.ndjson")
        let indexName = indexName(node["index_name"], path: path + ".index_name", required: false)
        let maxBytes = size(node["max_bytes"], path: path + ".max_bytes")
        let maxFiles = integer(node["max_files"], path: path + ".max_files", range: 1...10_000)
        guard let filePath, errorCount == errorsBefore else { return nil }
        var configuration = FileRecorderConfiguration(path: filePath)
        if let indexName { configuration.indexName = indexName.pattern }
        if let maxBytes { configuration.maxBytes = maxBytes }
        if let maxFiles { configuration.maxFiles = maxFiles }
        return configuration
    }

    private mutating func indexName(_ node: YAMLNode?, path: String, required: Bool) -> IndexName? {
        guard
            let text = string(
                node, path: path, required: required, hint: "e.g. index_name: expvastic-%{+yyyy.MM.dd}")
        else { return nil }
        do {
            return try IndexName(text)
        } catch {
            report(.error, .invalidIndexName, path, error.description, line: node?.mark.line)
            return nil
        }
    }
}
