import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How fast this machine ran while an end-to-end benchmark ran: every second, the thread CPU time
/// of 20 `payload-4k` documents (parse, flatten, encode: a fixed 120,253 instructions each by
/// callgrind), averaged over the benchmark. This shared VM runs the same instructions about 1.8×
/// slower at times, flipping within seconds (from outside this VM, and not stolen time:
/// `/proc/stat` shows almost no steal), so an absolute figure (`e2e-1000` ≤ 80 µs, replacing
/// 10,000 targets ≤ 200 ms) is read beside the speed it was measured at: about 9.5 µs per document
/// when the machine is fast.
final class MachineSpeed: @unchecked Sendable {
    struct Row: ResultRow {
        var benchmark: String
        /// µs of CPU per document: the mean over the samples, the fastest and the slowest.
        var mean: Double
        var fastest: Double
        var slowest: Double
        var samples: Int

        var tableRow: String {
            "machine speed during \(benchmark): payload-4k " + f(mean) + " µs of CPU per document (fastest "
                + f(fastest) + ", slowest " + f(slowest) + ", \(samples) samples)"
        }

        var jsonLine: String {
            "{\"name\": \"machine-speed\", \"unit\": \"us_per_document\", \"during\": \"\(benchmark)\", "
                + "\"payload_4k_us_mean\": \(f(mean)), \"fastest\": \(f(fastest)), \"slowest\": \(f(slowest)), "
                + "\"samples\": \(samples)}"
        }

        private func f(_ value: Double) -> String { String(format: "%.2f", value) }
    }

    private let document: () -> Void
    private let samples = Mutex<[Double]>([])
    private var task: Task<Void, Never>?

    /// Starts sampling.
    init(context: BenchmarkContext) throws {
        document = try PayloadBenchmarks.payload(name: "machine-speed", fixture: "go-debug-vars-4k.json")
            .setUp(context)
        for _ in 0..<50 { document() }  // warm: caches, the reader's key order
        task = Task.detached { [self] in
            while !Task.isCancelled {
                sample()
                try? await Task.sleep(for: .seconds(1))  // rarely: it shares the machine it measures
            }
        }
    }

    /// One sample: 20 documents on this thread (0.2–0.6 ms), without a suspension in between.
    private func sample() {
        let calls = 20
        let start = EndToEndBenchmark.threadCPUSeconds()
        for _ in 0..<calls { document() }
        let micros = (EndToEndBenchmark.threadCPUSeconds() - start) / Double(calls) * 1e6
        samples.withLock { $0.append(micros) }
    }

    /// Stops sampling; the speed during `benchmark`.
    func stop(benchmark: String) async -> Row {
        task?.cancel()
        await task?.value
        let taken = samples.withLock { $0 }
        guard !taken.isEmpty else { return Row(benchmark: benchmark, mean: 0, fastest: 0, slowest: 0, samples: 0) }
        return Row(
            benchmark: benchmark, mean: taken.reduce(0, +) / Double(taken.count), fastest: taken.min()!,
            slowest: taken.max()!, samples: taken.count)
    }
}
