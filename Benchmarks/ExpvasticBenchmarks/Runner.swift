import AllocationCounter
import Foundation

/// Times benchmarks: a warm-up, then `runs` runs of a calibrated number of calls each; reports the
/// time per call (median, min, max over runs).
struct Runner {
    struct Result {
        var name: String
        var unit: String
        var runs: Int
        var callsPerRun: Int
        /// Microseconds per item (per call divided by ``Benchmark/itemsPerCall``).
        var median: Double
        var min: Double
        var max: Double
        /// Bytes per item.
        var bytesPerItem: Double
        /// Heap allocations (malloc and friends) per item, counted on this thread over a separate
        /// set of calls after the timed runs.
        var allocationsPerItem: Double

        var itemsPerSecond: Double { 1e6 / median }
        /// Bytes per microsecond is MB/s (10^6 bytes per second).
        var megabytesPerSecond: Double { bytesPerItem / median }
    }

    var runs = 30
    /// Each run lasts at least this long.
    var minimumRunNanos: UInt64 = 10_000_000
    var warmUpNanos: UInt64 = 300_000_000
    /// Thread CPU time instead of wall time: excludes time the thread was not running, which keeps
    /// numbers meaningful on a busy machine (it still includes cache and frequency effects).
    var cpuTime = false
    /// Fixed calls per run and no warm-up (for `perf stat`, which counts instructions per call).
    var fixedCalls: Int?

    func run(_ benchmark: Benchmark, context: BenchmarkContext) throws -> Result {
        let operation = try benchmark.setUp(context)
        let items = Double(Swift.max(benchmark.itemsPerCall, 1))
        let bytesPerItem = Double(try benchmark.bytesPerCall(context)) / items
        if let fixedCalls {
            let start = now()
            for _ in 0..<fixedCalls { operation() }
            let perItem = Double(now() - start) / 1000 / Double(Swift.max(fixedCalls, 1)) / items
            return Result(
                name: benchmark.name, unit: benchmark.unit, runs: 1, callsPerRun: fixedCalls, median: perItem,
                min: perItem, max: perItem, bytesPerItem: bytesPerItem,
                allocationsPerItem: Self.allocations(of: operation, calls: 10) / items)
        }
        // Warm-up, and calibration of calls per run.
        var calls = 1
        let warmUpStart = now()
        var perCall: UInt64 = 1
        while now() - warmUpStart < warmUpNanos {
            let start = now()
            for _ in 0..<calls { operation() }
            perCall = Swift.max(1, (now() - start) / UInt64(calls))
            calls = Swift.min(calls * 2, 1 << 20)
        }
        let callsPerRun = Int(Swift.max(1, minimumRunNanos / perCall))
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = now()
            for _ in 0..<callsPerRun { operation() }
            samples.append(Double(now() - start) / 1000 / Double(callsPerRun) / items)
        }
        samples.sort()
        let median = samples.median
        return Result(
            name: benchmark.name, unit: benchmark.unit, runs: runs, callsPerRun: callsPerRun, median: median,
            min: samples.first ?? 0, max: samples.last ?? 0, bytesPerItem: bytesPerItem,
            allocationsPerItem: Self.allocations(of: operation, calls: Swift.min(callsPerRun, 1000)) / items)
    }

    /// Average heap allocations of one call of a warmed-up `operation`.
    static func allocations(of operation: () -> Void, calls: Int) -> Double {
        let calls = Swift.max(calls, 1)
        let before = expvastic_thread_allocations()
        for _ in 0..<calls { operation() }
        return Double(expvastic_thread_allocations() - before) / Double(calls)
    }

    func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(cpuTime ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
