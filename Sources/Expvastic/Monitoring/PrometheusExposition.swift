import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Renders a metrics snapshot in the Prometheus text exposition format 0.0.4 for `GET /metrics`.
///
/// Naming: `expvastic_<name>` with labels as labels; counters get a `_total` suffix (unless the name has
/// one), timers become summaries `expvastic_<name>_seconds` with only `_count` and `_sum` (seconds, the
/// `sum_ns` of `/debug/vars` divided by 10⁹). Process values: `expvastic_process_rss_bytes` (gauge) and
/// `expvastic_process_cpu_seconds_total` (counter). Characters outside `[a-zA-Z0-9_:]` in names become `_`;
/// label values escape backslash, double quote and newline. Every value equals the one in `/debug/vars`
/// taken from the same snapshot. `# HELP` comes from ``MetricsRegistry/describe(_:_:)`` when given.
/// A series whose family name is already used by another kind is left out.
public enum PrometheusExposition {
    /// The `Content-Type` of the format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private struct Family {
        package var name: String
        package var type: String
        package var help: String
        package var lines: [String] = []
    }

    /// The exposition text.
    public static func render(
        snapshot: [(key: MetricKey, value: MetricsRegistry.Value)], process: ProcessStats?,
        help: (String) -> String?
    ) -> String {
        var families: [Family] = []
        var index: [String: Int] = [:]
        func add(_ familyName: String, _ type: String, _ help: String, _ lines: [String]) {
            if let position = index[familyName] {
                guard families[position].type == type else { return }
                families[position].lines += lines
            } else {
                index[familyName] = families.count
                families.append(Family(name: familyName, type: type, help: help, lines: lines))
            }
        }
        for (key, value) in snapshot {
            let base = "expvastic_" + metricName(key.name)
            let labels = labelText(key.labels)
            let description = help(key.name)
            switch value {
            case .counter(let count):
                let name = base.hasSuffix("_total") ? base : base + "_total"
                add(name, "counter", description ?? "Expvastic counter \(key.name).", [name + labels + " \(count)"])
            case .gauge(let gauge):
                add(base, "gauge", description ?? "Expvastic gauge \(key.name).", [base + labels + " " + number(gauge)])
            case .timer(let summary):
                let name = base + "_seconds"
                add(
                    name, "summary", description ?? "Expvastic timer \(key.name), in seconds.",
                    [
                        name + "_count" + labels + " \(summary.count)",
                        name + "_sum" + labels + " " + number(Double(summary.sumNanos) / 1e9),
                    ])
            }
        }
        if let process {
            add(
                "expvastic_process_rss_bytes", "gauge", "Resident memory of the Expvastic process in bytes.",
                ["expvastic_process_rss_bytes \(process.rssBytes)"])
            add(
                "expvastic_process_cpu_seconds_total", "counter", "User and system CPU time of the process in seconds.",
                ["expvastic_process_cpu_seconds_total " + number(process.cpuSeconds)])
        }
        var out = ""
        for family in families {
            out += "# HELP " + family.name + " " + escapeHelp(family.help) + "\n"
            out += "# TYPE " + family.name + " " + family.type + "\n"
            for line in family.lines { out += line + "\n" }
        }
        return out
    }

    /// A Prometheus float: Swift's shortest round-trip spelling, or `NaN`, `+Inf`, `-Inf`.
    package static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return "\(value)"
    }

    package static func metricName(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let ok =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_"
                    || scalar == ":")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out.isEmpty ? "_" : out
    }

    package static func labelName(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let ok = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "_" + out }
        // Names starting with `__` are reserved for Prometheus itself.
        while out.hasPrefix("__") { out.removeFirst() }
        return out.isEmpty ? "label" : out
    }

    package static func labelText(_ labels: [MetricKey.Label]) -> String {
        guard !labels.isEmpty else { return "" }
        var seen: Set<String> = []
        var parts: [String] = []
        for label in labels {
            let name = labelName(label.name)
            guard seen.insert(name).inserted else { continue }
            parts.append(name + "=\"" + escapeLabelValue(label.value) + "\"")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    package static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    package static func escapeHelp(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n", "\r\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
