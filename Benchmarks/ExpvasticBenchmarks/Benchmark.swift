/// One named measurement. `setUp` runs once, outside the timing, and returns the operation to time;
/// the runner calls that operation many times per run and reports the time per call.
struct Benchmark: Sendable {
    /// Unique, filterable name (`payload-4k`).
    var name: String
    /// What the reported time is per: `us/doc`, or `us/load` for a whole configuration.
    var unit: String = "us/doc"
    /// Items (documents, loads) one call processes; times and rates are reported per item.
    var itemsPerCall: Int = 1
    /// Bytes one call processes, for MB/s; 0 when not meaningful.
    var bytesPerCall: @Sendable (BenchmarkContext) throws -> Int = { _ in 0 }
    /// Prepares state and returns the operation to time.
    var setUp: @Sendable (BenchmarkContext) throws -> () -> Void
}

/// What benchmarks may need from the command line.
struct BenchmarkContext {
    /// Directory holding the `go-debug-vars-*.json` fixtures.
    var fixtures: String
    /// The package root (holds `Benchmarks/fixture-server` and `expvastic.yml`); the current directory (absolute).
    var packageRoot: String = "."
    /// End-to-end runs: seconds of warm-up before measuring, and of measuring.
    var warmUpSeconds = 5
    var windowSeconds = 25
    /// Whether end-to-end runs also drive the Python reference.
    var reference = true
    /// Whether the end-to-end runs' recorder keeps its write-ahead log (`wal`; `--no-wal` turns it off).
    var writeAheadLog = true
    /// Whether the end-to-end runs' recorder gzips its bulk bodies (`compression: gzip`, the default;
    /// `--no-gzip` writes `none`, as `EXPVASTIC_BENCH_COMPRESSION=none` does).
    var gzip = true
    /// The `expvasyml` to measure; nil: the one next to this executable.
    var expvasyml: String?
}

/// Why a benchmark could not be set up.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
}

extension [Double] {
    /// The middle value, or the mean of the two middle ones (0 when empty).
    var median: Double {
        let sorted = self.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
