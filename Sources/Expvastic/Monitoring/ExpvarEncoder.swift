import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Renders a metrics snapshot as expvar-style JSON for `GET /debug/vars`, so that an `expvar` reader (or
/// any Go tooling) can read Expvastic itself.
///
/// Naming: a series nests by its ``MetricKey/path``. `polls_ok{reader=app1}` becomes
/// `{"readers":{"app1":{"polls_ok":3}}}` — the same dotted names a `self` reader's documents use;
/// a series without labels is a top-level key. Counters are integers,
/// gauges numbers (`null` when not finite), timers objects
/// `{"count":…,"sum_ns":…,"min_ns":…,"max_ns":…,"mean_ns":…,"last_ns":…}`. Then come
/// `"process":{"rss_bytes":…,"cpu_seconds":…}` and `"cmdline":[…]` as in Go. When a path is already taken
/// (a series named like another's label, or a label value that is also a series name at the same level),
/// the later series is published flat under its full key instead, e.g. `"polls_ok{reader=app1}"` or
/// `"reader{}"` for an unlabelled series named `reader`.
/// Keys keep the registry's creation order.
public enum ExpvarEncoder {
    /// The JSON document, ending with a newline.
    public static func encode(
        snapshot: [(key: MetricKey, value: MetricsRegistry.Value)], process: ProcessStats?, commandLine: [String]
    ) -> [UInt8] {
        let root = Node()
        for (key, value) in snapshot {
            let path = key.path
            let leaf = render(value)
            if !root.insert(path[...], leaf) { _ = root.insert([flatKey(key)], leaf) }
        }
        if let process {
            _ = root.insert(["process", "rss_bytes"], String(process.rssBytes))
            _ = root.insert(["process", "cpu_seconds"], JSONWriter.numberOrNull(process.cpuSeconds))
        }
        _ = root.insert(["cmdline"], "[" + commandLine.map(JSONWriter.quoted).joined(separator: ",") + "]")
        var out = ""
        root.write(to: &out)
        out += "\n"
        return Array(out.utf8)
    }

    /// `name{label=value,…}`, braces even without labels, so it cannot clash with a nested key.
    package static func flatKey(_ key: MetricKey) -> String {
        key.name + "{" + key.labels.map { $0.name + "=" + $0.value }.joined(separator: ",") + "}"
    }

    package static func render(_ value: MetricsRegistry.Value) -> String {
        switch value {
        case .counter(let count): String(count)
        case .gauge(let gauge): JSONWriter.numberOrNull(gauge)
        case .timer(let s):
            "{\"count\":\(s.count),\"sum_ns\":\(s.sumNanos),\"min_ns\":\(s.minNanos),\"max_ns\":\(s.maxNanos),"
                + "\"mean_ns\":\(JSONWriter.numberOrNull(s.meanNanos)),\"last_ns\":\(s.lastNanos)}"
        }
    }

    /// A JSON object under construction: ordered keys, each a child object or a rendered leaf.
    private final class Node {
        package var keys: [String] = []
        package var children: [String: Node] = [:]
        package var leaves: [String: String] = [:]

        /// Inserts `leaf` at `path`; false when the path collides with something already there.
        package func insert(_ path: ArraySlice<String>, _ leaf: String) -> Bool {
            guard let first = path.first else { return false }
            if path.count == 1 {
                guard children[first] == nil, leaves[first] == nil else { return false }
                keys.append(first)
                leaves[first] = leaf
                return true
            }
            guard leaves[first] == nil else { return false }
            if let child = children[first] { return child.insert(path.dropFirst(), leaf) }
            let child = Node()
            guard child.insert(path.dropFirst(), leaf) else { return false }
            keys.append(first)
            children[first] = child
            return true
        }

        package func write(to out: inout String) {
            out += "{"
            for (index, key) in keys.enumerated() {
                if index > 0 { out += "," }
                out += JSONWriter.quoted(key) + ":"
                if let leaf = leaves[key] { out += leaf } else { children[key]!.write(to: &out) }
            }
            out += "}"
        }
    }
}
