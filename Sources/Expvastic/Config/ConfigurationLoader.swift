import ExpvasticBase
import ExpvasticCodecs

/// Turns `expvastic.yml` into a typed ``Configuration``, collecting every problem with its path
/// instead of stopping at the first one.
///
/// Errors: missing or empty sections, empty or duplicate names, unknown types, missing required keys,
/// values of the wrong kind, bad durations, sizes, endpoints and index names, unset `${VARIABLES}`,
/// routes naming unknown readers or recorders, empty routes, YAML syntax errors and duplicate keys.
/// Warnings: unknown keys (with a suggestion) and readers or recorders that no route uses;
/// `strict` turns warnings into errors.
public struct ConfigurationLoader {
    package let environment: [String: String]
    /// Where relative `map_file` paths start: the configuration file's directory.
    package let baseDirectory: String
    package let strict: Bool
    private(set) package var diagnostics: [ConfigDiagnostic] = []

    package init(environment: [String: String], baseDirectory: String, strict: Bool) {
        self.environment = environment
        self.baseDirectory = baseDirectory
        self.strict = strict
    }

    /// Loads the file at `path`; when it does not exist and has no extension, tries `path.yml` then
    /// `path.yaml`. A missing, unreadable or empty file gives one error.
    public static func load(path: String, environment: [String: String], strict: Bool) -> ConfigurationLoadResult {
        switch readFile(path) {
        case .failed(let diagnostic):
            return ConfigurationLoadResult(configuration: nil, diagnostics: [diagnostic])
        case .found(let file, let bytes):
            let directory = FileSystem.parentDirectory(of: file)
            var loader = ConfigurationLoader(
                environment: environment, baseDirectory: directory.isEmpty ? "." : directory, strict: strict)
            return loader.load(bytes: bytes)
        }
    }

    /// Loads configuration text; relative `map_file` paths are resolved against `baseDirectory`.
    public static func load(
        yaml: String, baseDirectory: String, environment: [String: String], strict: Bool
    ) -> ConfigurationLoadResult {
        var loader = ConfigurationLoader(environment: environment, baseDirectory: baseDirectory, strict: strict)
        return loader.load(bytes: Array(yaml.utf8))
    }

    /// The file `-c` means: `path` itself, else `path.yml`, else `path.yaml` (the extension may be
    /// left out). Nil when none exists.
    public static func resolve(path: String) -> String? {
        // A regular file wins over a directory of the same stem (`expvastic/` next to `expvastic.yml`).
        var firstExisting: String?
        for candidate in candidates(for: path) {
            guard let kind = FileSystem.kind(of: candidate) else { continue }
            if kind == .file { return candidate }
            firstExisting = firstExisting ?? candidate
        }
        return firstExisting
    }

    private static func candidates(for path: String) -> [String] {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".yml") || lowered.hasSuffix(".yaml") { return [path] }
        return [path, path + ".yml", path + ".yaml"]
    }

    private enum FileRead {
        case found(path: String, bytes: [UInt8])
        case failed(ConfigDiagnostic)
    }

    private static func readFile(_ path: String) -> FileRead {
        func failure(_ code: ConfigDiagnostic.Code, _ message: String, hint: String? = nil) -> FileRead {
            .failed(ConfigDiagnostic(severity: .error, code: code, path: "", message: message, hint: hint))
        }
        guard let file = resolve(path: path) else {
            let others = candidates(for: path).dropFirst()
            let tried = others.isEmpty ? "" : " (also tried \(others.joined(separator: ", ")))"
            return failure(.fileNotFound, "configuration file \"\(path)\" not found\(tried)")
        }
        if FileSystem.kind(of: file) == .directory {
            return failure(.fileUnreadable, "configuration file \"\(file)\" is a directory, not a file")
        }
        guard FileSystem.isReadable(file) else {
            return failure(.fileUnreadable, "configuration file \"\(file)\" cannot be read (permission denied)")
        }
        let data: [UInt8]
        do {
            data = try FileSystem.contents(of: file)
        } catch {
            return failure(.fileUnreadable, "configuration file \"\(file)\" cannot be read: \(error.reason)")
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return failure(
                .fileEmpty, "configuration file \"\(file)\" is empty",
                hint: "it needs readers, recorders and routes; see the expvastic.yml shipped with Expvastic")
        }
        return .found(path: file, bytes: data)
    }

    private mutating func load(bytes: [UInt8]) -> ConfigurationLoadResult {
        let document: YAMLDocument
        do {
            document = try YAMLParser.parse(bytes: bytes)
        } catch {
            if error.code == .tabIndentation, let line = error.mark?.line {
                report(.error, .yamlSyntax, "", "YAML syntax error at line \(line): \(error.message)", line: line)
                return finish(nil)
            }
            let place = error.mark.map { " at \($0)" } ?? ""
            report(
                .error, .yamlSyntax, "", "YAML syntax error\(place): \(error.message)",
                hint: ConfigurationLoader.syntaxHint(error.message), line: error.mark?.line)
            return finish(nil)
        }
        let configuration = load(document: document)
        return finish(configuration)
    }

    /// Advice for the libyaml messages people meet most.
    package static func syntaxHint(_ message: String) -> String? {
        if message.contains("tab") { return "indent with spaces, not tabs" }
        if message.contains("cannot start any token") { return "quote values that start with %, @ or `" }
        if message.contains("mapping values are not allowed") { return "quote values that contain \": \"" }
        return nil
    }

    private mutating func finish(_ configuration: Configuration?) -> ConfigurationLoadResult {
        if strict {
            for index in diagnostics.indices where diagnostics[index].severity == .warning {
                diagnostics[index].severity = .error
            }
        }
        let failed = diagnostics.contains { $0.severity == .error }
        return ConfigurationLoadResult(configuration: failed ? nil : configuration, diagnostics: diagnostics)
    }

    // MARK: - Top level

    package static let topLevelKeys = ["settings", "readers", "recorders", "routes", "cluster"]

    private mutating func load(document: YAMLDocument) -> Configuration? {
        for duplicate in document.duplicateKeys { reportDuplicate(duplicate) }
        guard let root = document.root, !root.isNull else {
            report(
                .error, .fileEmpty, "", "the configuration is empty",
                hint: "it needs readers, recorders and routes sections")
            return nil
        }
        guard root.entries != nil else {
            report(
                .error, .wrongType, "",
                "the configuration must be a mapping with settings, readers, recorders and routes, not \(root.kindDescription)",
                line: root.mark.line)
            return nil
        }
        checkKeys(root, path: "", known: ConfigurationLoader.topLevelKeys)
        let settings = root["settings"].map { loadSettings($0) } ?? Settings()
        let readerEntries = section(root, "readers", noun: "reader")
        let recorderEntries = section(root, "recorders", noun: "recorder")
        let parsedReaders = readerEntries.compactMap { reader(name: $0.key, node: $0.value, path: "readers." + $0.key) }
        let recorders = recorderEntries.compactMap {
            recorder(name: $0.key, node: $0.value, path: "recorders." + $0.key)
        }
        let loaded = routes(
            root, readerNames: readerEntries.map(\.key), recorderNames: recorderEntries.map(\.key))
        let cluster = root["cluster"].flatMap { loadCluster($0) }
        let readers = completeEtcdSources(parsedReaders, cluster: cluster)
        let configuration = Configuration(
            settings: settings, readers: readers, recorders: recorders, routes: loaded.routes, cluster: cluster)
        reportUnused(configuration, loaded)
        return configuration
    }

    private mutating func reportDuplicate(_ duplicate: YAMLDocument.DuplicateKey) {
        let nouns = ["readers": "reader", "recorders": "recorder", "routes": "route"]
        if let noun = nouns[duplicate.mappingPath] {
            report(
                .error, .duplicateName, duplicate.path,
                "duplicate \(noun) name (line \(duplicate.mark.line); first defined at line \(duplicate.firstMark.line))",
                hint: "\(noun) names must be unique; rename or remove one", line: duplicate.mark.line)
        } else {
            report(
                .error, .duplicateKey, duplicate.path,
                "duplicate key (line \(duplicate.mark.line); first written at line \(duplicate.firstMark.line))",
                hint: "keep only one", line: duplicate.mark.line)
        }
    }

    /// The named entries of `readers` or `recorders`, without duplicates (reported already) and
    /// without empty names (reported here).
    private mutating func section(_ root: YAMLNode, _ key: String, noun: String) -> [YAMLNode.Entry] {
        guard let node = root[key] else {
            report(
                .error, .missingSection, key, "missing section",
                hint: "add a \(key): mapping with at least one \(noun)")
            return []
        }
        guard !node.isNull else {
            report(
                .error, .emptySection, key, "has no \(key)", hint: "define at least one \(noun)", line: node.mark.line)
            return []
        }
        guard let entries = node.entries else {
            report(
                .error, .wrongType, key,
                "must be a mapping of \(noun) names to their settings, not \(node.kindDescription)",
                line: node.mark.line)
            return []
        }
        if entries.isEmpty {
            report(
                .error, .emptySection, key, "has no \(key)", hint: "define at least one \(noun)", line: node.mark.line)
        }
        var seen = Set<String>()
        var named: [YAMLNode.Entry] = []
        for entry in entries {
            if ConfigurationLoader.isEmptyName(entry.key) {
                report(
                    .error, .emptyName, key, "the \(noun) at line \(entry.keyMark.line) has an empty name",
                    hint: "give it a name; routes refer to \(key) by name", line: entry.keyMark.line)
                continue
            }
            guard seen.insert(entry.key).inserted else { continue }
            named.append(entry)
        }
        return named
    }

    package static func isEmptyName(_ name: String) -> Bool {
        let trimmed = name.trimmingWhitespace()
        return trimmed.isEmpty || trimmed == "~" || trimmed.lowercased() == "null"
    }

    /// Warns about readers and recorders that no route mentions. A name written in a route that has
    /// an error of its own is not unused (that error says what is wrong), and when a route could not
    /// be read at all nothing is reported unused.
    private mutating func reportUnused(_ configuration: Configuration, _ routes: LoadedRoutes) {
        let plan = Plan(configuration: configuration)
        for name in routes.unusedReaders(plan) {
            report(
                .warning, .unused, "readers." + name, "not used by any route; it is validated but not run",
                hint: "add it to a route or remove it")
        }
        for name in routes.unusedRecorders(plan) {
            report(
                .warning, .unused, "recorders." + name, "not used by any route; it is validated but not run",
                hint: "add it to a route or remove it")
        }
    }

    // MARK: - Reporting

    package mutating func report(
        _ severity: ConfigDiagnostic.Severity, _ code: ConfigDiagnostic.Code, _ path: String, _ message: String,
        hint: String? = nil, line: Int? = nil
    ) {
        diagnostics.append(
            ConfigDiagnostic(severity: severity, code: code, path: path, message: message, hint: hint, line: line))
    }

    package var errorCount: Int { diagnostics.count { $0.severity == .error } }

    /// Warns about every key of `node` not in `known`, suggesting the closest known key.
    /// `elsewhere` lists keys valid for another type, with the reason they do not apply here.
    package mutating func checkKeys(_ node: YAMLNode, path: String, known: [String], elsewhere: [String: String] = [:])
    {
        var seen = Set<String>()
        for entry in node.entries ?? [] where !known.contains(entry.key) && seen.insert(entry.key).inserted {
            let keyPath = path.isEmpty ? entry.key : path + "." + entry.key
            if let reason = elsewhere[entry.key] {
                report(.warning, .unknownKey, keyPath, reason, hint: "remove it", line: entry.keyMark.line)
            } else if let suggestion = Suggestion.closest(to: entry.key, among: known) {
                report(
                    .warning, .unknownKey, keyPath, "unknown key; did you mean \(suggestion)?",
                    line: entry.keyMark.line)
            } else {
                report(
                    .warning, .unknownKey, keyPath, "unknown key",
                    hint: "known keys: \(known.joined(separator: ", "))", line: entry.keyMark.line)
            }
        }
    }
}
