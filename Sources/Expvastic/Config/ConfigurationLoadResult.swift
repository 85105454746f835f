import ExpvasticBase
import ExpvasticCodecs

/// What loading a configuration produced: the configuration when there is no error, and every
/// problem found (errors and warnings) in file order.
public struct ConfigurationLoadResult: Sendable, Equatable {
    /// Nil when any diagnostic is an error.
    public var configuration: Configuration?
    /// Every problem found, errors and warnings, in the order they were found.
    public var diagnostics: [ConfigDiagnostic]

    public init(configuration: Configuration?, diagnostics: [ConfigDiagnostic]) {
        self.configuration = configuration
        self.diagnostics = diagnostics
    }

    /// The diagnostics that prevent loading.
    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }
    /// The diagnostics that do not prevent loading.
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .warning } }
}
