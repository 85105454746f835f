import ExpvasticBase
import ExpvasticCodecs

/// Entries of the `readers` section.
extension ConfigurationLoader {
    package static let readerTypes = ["expvar", "self", "prometheus"]
    package static let commonReaderKeys = [
        "type", "type_name", "interval", "timeout", "backoff", "map_file", "include", "exclude", "log_level",
        "max_body_bytes", "max_depth", "max_fields", "split",
    ]
    package static let expvarReaderKeys = ["endpoint", "routepath", "headers", "targets"]
    package static let prometheusReaderKeys = ["max_series", "max_labels", "max_label_value_bytes"]
    /// The most a reader's timeout defaults to.
    package static let defaultTimeoutCap: Duration = .seconds(30)
    package static let defaultRoutePath = "/debug/vars"
    package static let defaultPrometheusRoutePath = "/metrics"

    package mutating func reader(name: String, node: YAMLNode, path: String) -> ReaderConfiguration? {
        guard node.entries != nil else {
            if node.isNull {
                report(
                    .error, .missingKey, path + ".type", "missing required key",
                    hint: "a reader needs at least type (expvar, self or prometheus)", line: node.mark.line)
            } else {
                report(
                    .error, .wrongType, path,
                    "expected a mapping of reader keys (type, endpoint, …), got \(node.kindDescription)",
                    line: node.mark.line)
            }
            return nil
        }
        let errorsBefore = errorCount
        let kind = readerKind(node, path: path)
        let allKeys = ConfigurationLoader.commonReaderKeys + ConfigurationLoader.expvarReaderKeys
        let prometheusOnly = Dictionary(
            uniqueKeysWithValues: ConfigurationLoader.prometheusReaderKeys.map {
                ($0, "is only used by prometheus readers")
            })
        switch kind {
        case .expvar?:
            checkKeys(node, path: path, known: allKeys, elsewhere: prometheusOnly)
        case nil, .prometheus?:
            checkKeys(node, path: path, known: allKeys + ConfigurationLoader.prometheusReaderKeys)
        case .self?:
            let notUsed = Dictionary(
                uniqueKeysWithValues: ConfigurationLoader.expvarReaderKeys.map { ($0, "is not used by self readers") })
            checkKeys(node, path: path, known: ConfigurationLoader.commonReaderKeys, elsewhere: notUsed)
        }

        var typeName = string(
            node["type_name"], path: path + ".type_name", required: kind == .expvar,
            hint: "type_name becomes the documents' type field, e.g. my_app")
        if kind == .self, typeName == nil { typeName = "expvastic" }
        if kind == .prometheus, typeName == nil { typeName = "prometheus" }
        var url: Endpoint?
        var targets: [TargetSourceConfiguration]?
        var routePath: String?
        if kind == .expvar, let targetsNode = node["targets"], !targetsNode.isNull {
            if node["endpoint"] != nil {
                report(
                    .error, .conflictingKeys, path + ".targets", "a reader has either endpoint or targets, not both",
                    hint: "put the endpoint in a static source: targets: [{static: [host:port]}]",
                    line: targetsNode.mark.line)
            }
            targets = targetSources(targetsNode, path: path + ".targets")
            routePath = string(node["routepath"], path: path + ".routepath")
            if let routePath, routePath.contains(where: { $0.isWhitespace }) {
                report(
                    .error, .invalidValue, path + ".routepath", "\"\(routePath)\" contains white space",
                    line: node["routepath"]?.mark.line)
            }
        } else if kind == .expvar || kind == .prometheus {
            url = readerURL(
                node, path: path,
                defaultRoutePath: kind == .prometheus
                    ? ConfigurationLoader.defaultPrometheusRoutePath : ConfigurationLoader.defaultRoutePath)
        } else if kind == nil, node["endpoint"] != nil {
            _ = endpoint(node["endpoint"], path: path + ".endpoint")
        }
        let interval = duration(node["interval"], path: path + ".interval")
        let timeout = duration(node["timeout"], path: path + ".timeout")
        let backoff = integer(node["backoff"], path: path + ".backoff", range: 1...Int.max)
        let mapFile = string(node["map_file"], path: path + ".map_file")
        let fieldMap = mapFile.flatMap { loadMapFile($0, path: path + ".map_file") }
        let include = globs(node["include"], path: path + ".include")
        let exclude = globs(node["exclude"], path: path + ".exclude")
        let headers = kind == .self ? nil : headers(node["headers"], path: path + ".headers")
        let level = logLevel(node["log_level"], path: path + ".log_level")
        let maxBody = size(node["max_body_bytes"], path: path + ".max_body_bytes")
        let maxDepth = integer(node["max_depth"], path: path + ".max_depth", range: 1...10_000)
        let maxFields = integer(node["max_fields"], path: path + ".max_fields", range: 1...1_000_000)
        let split = split(node["split"], path: path + ".split")
        let maxSeries = integer(node["max_series"], path: path + ".max_series", range: 1...10_000_000)
        let maxLabels = integer(node["max_labels"], path: path + ".max_labels", range: 1...10_000)
        let maxLabelValue = size(node["max_label_value_bytes"], path: path + ".max_label_value_bytes")

        guard let kind, let typeName, errorCount == errorsBefore else { return nil }
        var reader = ReaderConfiguration(name: name, kind: kind, typeName: typeName, url: url)
        reader.interval = interval ?? .seconds(10)
        reader.timeout = timeout ?? min(reader.interval, ConfigurationLoader.defaultTimeoutCap)
        if let backoff { reader.backoff = backoff }
        if let mapFile {
            reader.mapFile = resolvedPath(mapFile)
            reader.fieldMap = fieldMap ?? .defaults
        }
        if let include { reader.include = include }
        if let exclude { reader.exclude = exclude }
        if let headers { reader.headers = headers }
        reader.logLevel = level
        if let maxBody { reader.maxBodyBytes = maxBody }
        if let maxDepth { reader.maxDepth = maxDepth }
        if let maxFields { reader.maxFields = maxFields }
        reader.split = split
        if let maxSeries { reader.prometheus.maxSeries = maxSeries }
        if let maxLabels { reader.prometheus.maxLabels = maxLabels }
        if let maxLabelValue { reader.prometheus.maxLabelValueBytes = maxLabelValue }
        if let targets {
            reader.targets = targets
            reader.routePath = routePath
        }
        return reader
    }

    package static let splitKeys = ["members_of", "id_field", "key_field", "require"]

    /// `split: influxdb` or `split: {members_of: …, id_field: …, key_field: …, require: […]}`.
    private mutating func split(_ node: YAMLNode?, path: String) -> SplitConfiguration? {
        guard let node, !node.isNull else { return nil }
        let presets = SplitConfiguration.presets.keys.sorted().joined(separator: ", ")
        if let scalar = node.scalar {
            if let preset = SplitConfiguration.presets[scalar.value.lowercased()] { return preset }
            report(
                .error, .invalidValue, path, "unknown split preset \"\(scalar.value)\"",
                hint: "presets: \(presets); or a mapping with members_of (and id_field, key_field, require)",
                line: node.mark.line)
            return nil
        }
        guard node.entries != nil else {
            report(
                .error, .wrongType, path,
                "expected a preset (\(presets)) or a mapping with members_of, got \(node.kindDescription)",
                line: node.mark.line)
            return nil
        }
        checkKeys(node, path: path, known: ConfigurationLoader.splitKeys)
        guard
            let membersOf = string(
                node["members_of"], path: path + ".members_of", required: true,
                hint: "the path of the object or array whose members become documents (\"\" for the root)")
        else { return nil }
        var split = SplitConfiguration(membersOf: membersOf)
        split.idField = string(node["id_field"], path: path + ".id_field")
        if let keyField = string(node["key_field"], path: path + ".key_field") {
            if keyField.isEmpty || Document.envelopeFieldNames.contains(keyField) || keyField.contains(".") {
                report(
                    .error, .invalidValue, path + ".key_field", "\"\(keyField)\" cannot carry the entity key",
                    hint: "a plain name other than \(Document.envelopeFieldNames.joined(separator: ", ")), e.g. entity",
                    line: node["key_field"]?.mark.line)
            } else {
                split.keyField = keyField
            }
        }
        if let require = globs(node["require"], path: path + ".require") { split.require = require }
        return split
    }

    private mutating func readerKind(_ node: YAMLNode, path: String) -> ReaderConfiguration.Kind? {
        guard
            let type = string(
                node["type"], path: path + ".type", required: true, hint: "use expvar, self or prometheus")
        else { return nil }
        if let kind = ReaderConfiguration.Kind(rawValue: type) { return kind }
        let suggestion = Suggestion.closest(to: type, among: ConfigurationLoader.readerTypes)
        report(
            .error, .unknownType, path + ".type", "unknown reader type \"\(type)\"",
            hint: (suggestion.map { "did you mean \($0)? " } ?? "") + "reader types: expvar, self, prometheus",
            line: node["type"]?.mark.line)
        return nil
    }

    /// `endpoint` joined with `routepath`. Without `routepath`, `defaultRoutePath` (`/debug/vars`,
    /// `/metrics` for prometheus readers) is appended only when the endpoint has no path of its own.
    private mutating func readerURL(_ node: YAMLNode, path: String, defaultRoutePath: String) -> Endpoint? {
        let routePath = string(node["routepath"], path: path + ".routepath")
        if let routePath, routePath.contains(where: { $0.isWhitespace }) {
            report(
                .error, .invalidValue, path + ".routepath", "\"\(routePath)\" contains white space",
                line: node["routepath"]?.mark.line)
        }
        guard node["endpoint"] != nil, node["endpoint"]?.isNull == false else {
            report(
                .error, .missingKey, path + ".endpoint", "missing required key",
                hint: "where the expvar page is served, e.g. localhost:1234", line: node.mark.line)
            return nil
        }
        guard let endpoint = endpoint(node["endpoint"], path: path + ".endpoint") else { return nil }
        if let routePath { return endpoint.appending(path: routePath) }
        return endpoint.path == "/" ? endpoint.appending(path: defaultRoutePath) : endpoint
    }

    private mutating func headers(_ node: YAMLNode?, path: String) -> [String: Secret]? {
        guard let node, !node.isNull else { return nil }
        guard let entries = node.entries else {
            report(
                .error, .wrongType, path, "expected a mapping of header names to values, got \(node.kindDescription)",
                line: node.mark.line)
            return nil
        }
        var headers: [String: Secret] = [:]
        for entry in entries {
            let headerPath = path + "." + entry.key
            if !ConfigurationLoader.isHeaderName(entry.key) {
                report(
                    .error, .invalidValue, headerPath, "is not a valid header name",
                    hint: "letters, digits and -, such as Authorization", line: entry.keyMark.line)
                continue
            }
            guard let value = text(entry.value, path: headerPath) else {
                if entry.value.isNull {
                    report(.error, .missingKey, headerPath, "has no value", line: entry.keyMark.line)
                }
                continue
            }
            if value.contains(where: { $0.isNewline }) {
                report(.error, .invalidValue, headerPath, "value must be one line", line: entry.keyMark.line)
                continue
            }
            headers[entry.key] = Secret(value)
        }
        return headers
    }

    package static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0)
            }
    }

    /// A path relative to the configuration file's directory.
    package func resolvedPath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if baseDirectory.isEmpty || baseDirectory == "." { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }
}
