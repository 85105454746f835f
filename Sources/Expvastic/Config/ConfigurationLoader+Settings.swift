import ExpvasticBase
import ExpvasticCodecs

/// The `settings` section.
extension ConfigurationLoader {
    package static let settingsKeys = ["log_level", "shutdown_timeout", "http"]
    package static let httpKeys = ["listen", "retention"]

    package mutating func loadSettings(_ node: YAMLNode) -> Settings {
        var settings = Settings()
        if node.isNull { return settings }
        guard node.entries != nil else {
            report(
                .error, .wrongType, "settings",
                "must be a mapping (log_level, shutdown_timeout, http), not \(node.kindDescription)",
                line: node.mark.line)
            return settings
        }
        checkKeys(node, path: "settings", known: ConfigurationLoader.settingsKeys)
        if let level = logLevel(node["log_level"], path: "settings.log_level") { settings.logLevel = level }
        if let timeout = duration(node["shutdown_timeout"], path: "settings.shutdown_timeout") {
            settings.shutdownTimeout = timeout
        }
        if let http = node["http"], !http.isNull {
            guard http.entries != nil else {
                report(
                    .error, .wrongType, "settings.http",
                    "must be a mapping (listen, retention), not \(http.kindDescription)",
                    line: http.mark.line)
                return settings
            }
            checkKeys(http, path: "settings.http", known: ConfigurationLoader.httpKeys)
            if let listenNode = http["listen"] {
                if listenNode.isNull {
                    settings.http.listen = nil
                } else if let listen = text(listenNode, path: "settings.http.listen") {
                    if listen.isEmpty {
                        settings.http.listen = nil
                    } else if let problem = ConfigurationLoader.listenProblem(listen) {
                        report(
                            .error, .invalidValue, "settings.http.listen", "\"\(listen)\" \(problem)",
                            hint: "use host:port such as 127.0.0.1:9800, or \"\" to disable", line: listenNode.mark.line
                        )
                    } else {
                        settings.http.listen = listen
                    }
                }
            }
            if let retention = duration(http["retention"], path: "settings.http.retention") {
                settings.http.retention = retention
            }
        }
        return settings
    }

    /// Why `host:port` is not something the monitoring server can bind, or nil.
    package static func listenProblem(_ text: String) -> String? {
        if text.contains("://") { return "must not have a scheme" }
        guard let colon = text.lastIndex(of: ":") else { return "has no port" }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return "has an invalid port (0-65535)"
        }
        if host.isEmpty { return "has an empty host" }
        if host.contains(where: { $0.isWhitespace || $0 == "/" }) { return "has an invalid host" }
        return nil
    }
}
