import ExpvasticBase
import ExpvasticCodecs

/// Typed reads of single values. Each reports its own problem with the key's path and returns nil,
/// so the caller can go on and collect the next problem.
extension ConfigurationLoader {
    /// The text of a scalar after `${NAME}` substitution. Nil (reported) for lists, mappings and
    /// failed substitutions; nil (not reported) for an absent or null value.
    package mutating func text(_ node: YAMLNode?, path: String, expected: String = "a single value") -> String? {
        guard let node, !node.isNull else { return nil }
        guard let scalar = node.scalar else {
            report(.error, .wrongType, path, "expected \(expected), got \(node.kindDescription)", line: node.mark.line)
            return nil
        }
        switch EnvironmentSubstitution.substitute(scalar.value, environment: environment) {
        case .success(let value):
            return value
        case .failure(let failure):
            report(.error, .environment, path, failure.message, hint: failure.hint, line: node.mark.line)
            return nil
        }
    }

    /// A required or optional string; `required` reports an absent or empty value as missing.
    package mutating func string(_ node: YAMLNode?, path: String, required: Bool = false, hint: String? = nil)
        -> String?
    {
        let value = text(node, path: path)
        if required, node == nil || node?.isNull == true {
            report(.error, .missingKey, path, "missing required key", hint: hint, line: node?.mark.line)
            return nil
        }
        if required, let value, value.trimmingWhitespace().isEmpty {
            report(.error, .missingKey, path, "is empty", hint: hint, line: node?.mark.line)
            return nil
        }
        return value
    }

    /// A positive Go duration (`250ms`, `3s`, `1m30s`).
    package mutating func duration(_ node: YAMLNode?, path: String) -> Duration? {
        guard let node, let text = text(node, path: path, expected: "a duration such as 3s") else {
            if let node, node.isNull {
                report(.error, .invalidDuration, path, "has no value", hint: "write a duration such as 3s")
            }
            return nil
        }
        switch GoDuration.parse(text) {
        case .failure(let error):
            report(
                .error, .invalidDuration, path, "\"\(text)\" \(error.reason)", hint: error.hint, line: node.mark.line)
            return nil
        case .success(let duration):
            guard duration > .zero else {
                report(
                    .error, .invalidDuration, path, "\"\(text)\" must be greater than zero",
                    hint: "use a positive duration such as 10s", line: node.mark.line)
                return nil
            }
            return duration
        }
    }

    /// An integer within `range`, written without quotes.
    package mutating func integer(_ node: YAMLNode?, path: String, range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard let scalar = node.scalar, !node.isNull else {
            report(.error, .wrongType, path, "expected a number, got \(node.kindDescription)", line: node.mark.line)
            return nil
        }
        guard let text = text(node, path: path) else { return nil }
        guard let value = YAMLNode.Scalar(text, style: scalar.style, tag: scalar.tag).integer else {
            let quoted = scalar.style != .plain && YAMLNode.Scalar.parseInteger(text) != nil
            report(
                .error, .wrongType, path, "expected a whole number, got \"\(text)\"",
                hint: quoted ? "remove the quotes" : nil, line: node.mark.line)
            return nil
        }
        guard range.contains(value) else {
            let bounds =
                range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)"
            report(.error, .invalidValue, path, "\(value) is out of range (\(bounds))", line: node.mark.line)
            return nil
        }
        return value
    }

    /// A positive size in bytes: an integer or a string such as `5MiB`, `512KB`.
    package mutating func size(_ node: YAMLNode?, path: String) -> Int? {
        guard let node else { return nil }
        guard let text = text(node, path: path, expected: "a size such as 5MiB") else {
            if node.isNull { report(.error, .invalidValue, path, "has no value", hint: "write a size such as 5MiB") }
            return nil
        }
        switch ByteSize.parse(text) {
        case .failure(let error):
            report(.error, .invalidValue, path, "\"\(text)\" \(error.reason)", hint: error.hint, line: node.mark.line)
            return nil
        case .success(let bytes):
            guard bytes > 0 else {
                report(.error, .invalidValue, path, "\"\(text)\" must be greater than zero", line: node.mark.line)
                return nil
            }
            return bytes
        }
    }

    /// `true` or `false`, without quotes.
    package mutating func bool(_ node: YAMLNode?, path: String) -> Bool? {
        guard let node else { return nil }
        guard let scalar = node.scalar, !node.isNull, let text = text(node, path: path) else {
            if node.scalar == nil || node.isNull {
                report(
                    .error, .wrongType, path, "expected true or false, got \(node.kindDescription)",
                    line: node.mark.line)
            }
            return nil
        }
        guard let value = YAMLNode.Scalar(text, style: scalar.style, tag: scalar.tag).bool else {
            report(.error, .wrongType, path, "expected true or false, got \"\(text)\"", line: node.mark.line)
            return nil
        }
        return value
    }

    /// A list of strings; a single string counts as a one-element list, null as an empty list. That
    /// is the rule for every list key (route `readers`/`recorders`, `include`, `exclude`,
    /// `endpoints`, `gc_types`); a single string holding commas is an error (see
    /// ``commaSeparatedList(_:)``).
    package mutating func stringList(_ node: YAMLNode?, path: String) -> [String]? {
        guard let node else { return nil }
        if node.isNull { return [] }
        if node.scalar != nil {
            guard let value = text(node, path: path) else { return nil }
            if let hint = ConfigurationLoader.commaSeparatedList(value) {
                report(
                    .error, .wrongType, path, "\"\(value)\" is one string, not a list", hint: hint,
                    line: node.mark.line)
                return nil
            }
            return [value]
        }
        guard let items = node.items else {
            report(.error, .wrongType, path, "expected a list of names, got a mapping", line: node.mark.line)
            return nil
        }
        var values: [String] = []
        var failed = false
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if item.scalar == nil || item.isNull {
                report(
                    .error, .wrongType, itemPath, "expected a name, got \(item.kindDescription)", line: item.mark.line)
                failed = true
            } else if let value = text(item, path: itemPath) {
                values.append(value)
            } else {
                failed = true
            }
        }
        return failed ? nil : values
    }

    /// For a single string written where a list is expected: nil when it is one value, else the hint
    /// for `"a, b"`, which is one string (YAML splits only `[a, b]` or `- a` lines).
    package static func commaSeparatedList(_ value: String) -> String? {
        guard value.contains(",") else { return nil }
        let items = value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        return "write a list: [\(items.joined(separator: ", "))]"
    }

    /// An endpoint (`host:port`, `http(s)://host:port/path`); credentials in the URL are never echoed.
    package mutating func endpoint(_ node: YAMLNode?, path: String) -> Endpoint? {
        guard let node, let text = text(node, path: path, expected: "one URL") else { return nil }
        switch Endpoint.parse(text) {
        case .success(let endpoint):
            return endpoint
        case .failure(let error):
            report(
                .error, .invalidEndpoint, path, "\"\(ConfigurationLoader.redactingCredentials(text))\" \(error.reason)",
                hint: "use host:port, host:port/path or http(s)://host:port", line: node.mark.line)
            return nil
        }
    }

    /// `user:secret@host` → `******@host`.
    package static func redactingCredentials(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.firstRange(of: "://")?.upperBound ?? text.startIndex
        guard start <= at else { return text }
        return String(text[..<start]) + "******" + String(text[at...])
    }

    /// `debug`, `info`, `warn` or `error`, case-insensitive.
    package mutating func logLevel(_ node: YAMLNode?, path: String) -> LogLevel? {
        guard let node, let text = text(node, path: path) else { return nil }
        guard let level = LogLevel(parsing: text) else {
            let names = LogLevel.allCases.map(\.description)
            let suggestion = Suggestion.closest(to: text, among: names).map { "did you mean \($0)? " } ?? ""
            report(
                .error, .invalidValue, path, "unknown log level \"\(text)\"",
                hint: "\(suggestion)use debug, info, warn or error", line: node.mark.line)
            return nil
        }
        return level
    }

    /// Glob lists (`include`, `exclude`): non-empty strings.
    package mutating func globs(_ node: YAMLNode?, path: String) -> [String]? {
        guard let list = stringList(node, path: path) else { return nil }
        if let index = list.firstIndex(where: { $0.trimmingWhitespace().isEmpty }) {
            report(.error, .invalidValue, "\(path)[\(index)]", "is an empty pattern", line: node?.mark.line)
            return nil
        }
        return list
    }
}
