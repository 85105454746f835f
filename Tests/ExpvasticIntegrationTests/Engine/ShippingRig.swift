import Expvastic
import ExpvasticTestSupport
import Foundation

/// A real `expvasyml` process polling real Go programs into osmem-server (optionally through a
/// fault proxy), with a file recorder as the witness of what was polled.
final class ShippingRig: Sendable {
    let directory: URL
    let programs: [GoExpvarProgram]
    let osmem: OsmemServer
    let index = "lossless"

    init(readers: Int) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-rig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var programs: [GoExpvarProgram] = []
        for _ in 0..<readers { programs.append(try await GoExpvarProgram.start()) }
        self.programs = programs
        osmem = try await OsmemServer()
    }

    deinit {
        for program in programs { program.stop() }
        osmem.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var spoolDirectory: String { directory.appendingPathComponent("spool").path }
    var witnessPath: String { directory.appendingPathComponent("witness.ndjson").path }
    var configPath: String { directory.appendingPathComponent("expvastic.yml").path }

    /// Writes the configuration: every Go program polled every `interval` by `app_<n>`, into the
    /// `es` recorder (at `elasticsearch`, default osmem, with `elasticsearchKeys` added) and the
    /// `witness` file recorder.
    func writeConfiguration(
        interval: String = "200ms",
        intervals: [String: String] = [:],
        elasticsearch: Endpoint? = nil,
        extraRecorders: String = "",
        extraRecorderNames: [String] = [],
        spoolMaxBytes: String = "1GiB",
        elasticsearchKeys: [String: String] = [:]
    ) throws {
        let target = elasticsearch ?? osmem.endpoint
        let extraKeys = elasticsearchKeys.sorted { $0.key < $1.key }.map { "\n    \($0.key): \($0.value)" }.joined()
        var yaml = """
            settings:
              log_level: info
              shutdown_timeout: 5s
              http:
                listen: 127.0.0.1:0
            readers:

            """
        for (n, program) in programs.enumerated() {
            yaml += """
                  app_\(n):
                    type: expvar
                    type_name: goapp
                    endpoint: \(program.endpoint)
                    interval: \(intervals["app_\(n)"] ?? interval)
                    timeout: 1s
                    backoff: 1000

                """
        }
        yaml += """
            recorders:
              es:
                type: elasticsearch
                endpoint: \(target.host):\(target.port)
                index_name: \(index)
                flush_interval: 200ms
                timeout: 2s
                backoff: 3
                spool_dir: \(spoolDirectory)
                spool_max_bytes: \(spoolMaxBytes)\(extraKeys)
              witness:
                type: file
                path: \(witnessPath)
            \(extraRecorders)
            routes:
              all:
                readers: [\(programs.indices.map { "app_\($0)" }.joined(separator: ", "))]
                recorders: [\((["es", "witness"] + extraRecorderNames).joined(separator: ", "))]

            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `expvasyml -c <config>` and waits for its monitoring port.
    func start() async throws -> Shipment {
        let process = try ExpvasymlBinary.spawn(arguments: ["-c", configPath])
        let line = try await process.waitForStderr(containing: "http.port=", timeout: .seconds(20))
        guard let range = line.range(of: "http.port="),
            let port = Int(line[range.upperBound...].prefix { $0.isNumber })
        else { throw TestSupportError(.unexpectedOutput, "no monitoring port in: \(line)") }
        return Shipment(process: process, monitoringPort: port)
    }

    /// Every document in the index: `_id` → source.
    func indexed() async throws -> [String: [String: Any]] {
        let object = try await osmem.json("/\(index)/_search?size=10000")
        let hits = (object["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        var result: [String: [String: Any]] = [:]
        for hit in hits {
            guard let id = hit["_id"] as? String else { continue }
            result[id] = hit["_source"] as? [String: Any] ?? [:]
        }
        return result
    }

    /// `_id` → (reader, `requests` value, timestamp) of every document the witness file holds.
    func witnessed() throws -> [String: WitnessedDocument] {
        let text = (try? String(contentsOfFile: witnessPath, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n")
        var result: [String: WitnessedDocument] = [:]
        var index = 0
        while index + 1 < lines.count {
            let action = try JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as? [String: Any]
            let source = try JSONSerialization.jsonObject(with: Data(lines[index + 1].utf8)) as? [String: Any]
            if let id = (action?["create"] as? [String: Any])?["_id"] as? String, let source {
                result[id] = WitnessedDocument(source: source)
            }
            index += 2
        }
        return result
    }
}

/// What a test needs of one shipped document.
struct WitnessedDocument {
    var reader: String
    var requests: Int
    var timestamp: Date

    init(source: [String: Any]) {
        reader = source["reader"] as? String ?? ""
        requests = (source["requests"] as? NSNumber)?.intValue ?? -1
        let millis = RFC3339.parse(source["@timestamp"] as? String ?? "") ?? 0
        timestamp = Date(timeIntervalSince1970: Double(millis) / 1000)
    }
}

/// A running `expvasyml` and its monitoring endpoint.
struct Shipment {
    let process: RunningProcess
    let monitoringPort: Int

    /// `/debug/vars` of the running process.
    func vars() async throws -> [String: Any] {
        let url = URL(string: "http://127.0.0.1:\(monitoringPort)/debug/vars")!
        let response = try await HTTPGet.get(url)
        return try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
    }

    /// A counter of one component, e.g. `("readers", "app_0", "polls_ok")`.
    func counter(_ kind: String, _ name: String, _ metric: String) async throws -> Int {
        let vars = try await vars()
        let component = (vars[kind] as? [String: Any])?[name] as? [String: Any]
        return (component?[metric] as? NSNumber)?.intValue ?? 0
    }

    /// Sum of `polls_ok` over the readers.
    func pollsOK(readers: Int) async throws -> Int {
        var total = 0
        for n in 0..<readers { total += try await counter("readers", "app_\(n)", "polls_ok") }
        return total
    }
}
