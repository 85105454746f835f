/// One named measurement. `setUp` runs once, outside the timing, and returns the operation to time;
/// the runner calls that operation many times per run and reports the time per call.
struct Benchmark: Sendable {
    /// Unique, filterable name (`payload-4k`).
    var name: String
    /// What one call processes, for MB/s; 0 when not meaningful.
    var bytesPerCall: @Sendable (BenchmarkContext) throws -> Int = { _ in 0 }
    /// Prepares state and returns the operation to time.
    var setUp: @Sendable (BenchmarkContext) throws -> () -> Void
}

/// What benchmarks may need from the command line.
struct BenchmarkContext {
    /// Directory holding the `go-debug-vars-*.json` fixtures.
    var fixtures: String
}

/// Why a benchmark could not be set up.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
}
