import ExpvasticBase
import ExpvasticCodecs

/// One problem found while loading a configuration, with the path of the key it concerns.
///
/// `description` reads `readers.FirstApp.interval: "2" has no unit (try 2s)`; `formatted` adds the
/// severity in front, as printed on standard error.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    /// Whether the configuration can still be used.
    public enum Severity: String, Sendable, Equatable {
        /// The configuration cannot be used.
        case error
        /// Probably a mistake, but the configuration can run; `--strict` makes these errors.
        case warning
    }

    /// A stable identifier for the kind of problem, for tests and tools.
    public enum Code: String, Sendable, Equatable {
        case fileNotFound = "file_not_found"
        case fileUnreadable = "file_unreadable"
        case fileEmpty = "file_empty"
        case yamlSyntax = "yaml_syntax"
        case duplicateKey = "duplicate_key"
        case duplicateName = "duplicate_name"
        case emptyName = "empty_name"
        case missingSection = "missing_section"
        case emptySection = "empty_section"
        case unknownType = "unknown_type"
        case missingKey = "missing_key"
        case conflictingKeys = "conflicting_keys"
        case wrongType = "wrong_type"
        case invalidDuration = "invalid_duration"
        case invalidEndpoint = "invalid_endpoint"
        case invalidIndexName = "invalid_index_name"
        case invalidValue = "invalid_value"
        case unknownReference = "unknown_reference"
        case emptyRoute = "empty_route"
        case unknownKey = "unknown_key"
        case environment = "environment"
        case mapFile = "map_file"
        case unused = "unused"
    }

    /// Error or warning (after `--strict`, only errors).
    public var severity: Severity
    /// What kind of problem; stable across releases.
    public var code: Code
    /// Dotted path of the key, `readers.FirstApp.interval`; empty for problems with the whole file.
    public var path: String
    /// What is wrong: `"2" has no unit`.
    public var message: String
    /// What to do: `try 2s`.
    public var hint: String?
    /// 1-based line in the configuration file, when known.
    public var line: Int?

    public init(
        severity: Severity, code: Code, path: String, message: String, hint: String? = nil, line: Int? = nil
    ) {
        self.severity = severity
        self.code = code
        self.path = path
        self.message = message
        self.hint = hint
        self.line = line
    }

    /// `readers.FirstApp.interval: "2" has no unit (try 2s)`.
    public var description: String {
        var text = path.isEmpty ? message : "\(path): \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }

    /// `error: readers.FirstApp.interval: "2" has no unit (try 2s)`, one line.
    public var formatted: String { "\(severity.rawValue): \(description)" }
}
