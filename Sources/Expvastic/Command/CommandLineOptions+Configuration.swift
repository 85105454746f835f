import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

/// Building the configuration the command line asks for.
extension CommandLineOptions {
    /// Loads `-c FILE`, or builds the flag-mode configuration; `-loglevel` (or, in flag mode,
    /// `LOGLEVEL`) overrides `settings.log_level`.
    public func loadConfiguration(environment: [String: String]) -> ConfigurationLoadResult {
        guard let configPath else {
            return Configuration.fromFlags(flags, environment: environment)
        }
        var result = ConfigurationLoader.load(path: configPath, environment: environment, strict: strict)
        guard let text = flags.logLevel else { return result }
        if let level = LogLevel(parsing: text) {
            result.configuration?.settings.logLevel = level
        } else {
            result.diagnostics.append(
                ConfigDiagnostic(
                    severity: .error, code: .invalidValue, path: "-loglevel", message: "unknown log level \"\(text)\"",
                    hint: "use debug, info, warn or error"))
            result.configuration = nil
        }
        return result
    }
}
