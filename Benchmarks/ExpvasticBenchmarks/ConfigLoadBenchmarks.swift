import Expvastic

/// Loading a large configuration: YAML parse, validation and the typed model (what start-up and
/// every SIGHUP reload cost).
enum ConfigLoadBenchmarks {
    static func load(name: String, readers: Int) -> Benchmark {
        let yaml = BenchmarkConfiguration.yaml(
            targets: (0..<readers).map { "127.0.0.1:\(20_000 + $0)" }, sink: "http://127.0.0.1:9",
            spoolDirectory: "/tmp/unused")
        return Benchmark(
            name: name,
            unit: "us/load",
            bytesPerCall: { _ in yaml.utf8.count },
            setUp: { _ in
                let first = ConfigurationLoader.load(yaml: yaml, baseDirectory: ".", environment: [:], strict: true)
                guard let configuration = first.configuration else {
                    throw BenchmarkError(
                        description: "generated configuration does not load: "
                            + first.diagnostics.map(\.formatted).joined(separator: "; "))
                }
                precondition(configuration.readers.count == readers)
                return {
                    let result = ConfigurationLoader.load(
                        yaml: yaml, baseDirectory: ".", environment: [:], strict: true)
                    precondition(result.configuration != nil)
                }
            })
    }
}
