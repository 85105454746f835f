import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How fast this machine runs at the moment, printed before the end-to-end benchmarks and after
/// each of them: the thread CPU time of one `payload-4k` document (parse, flatten, encode; a fixed
/// 120,253 instructions by callgrind), the fastest of a few rounds. On a shared VM whose speed
/// drifts by up to 2× within minutes, it tells a slower figure of the code from a slower machine:
/// an absolute target (`e2e-1000` ≤ 80 µs, replacing 10,000 targets ≤ 200 ms) is read beside it.
enum MachineSpeed {
    struct Row: ResultRow {
        /// The end-to-end benchmark just before (nil: before the first).
        var after: String?
        var microsPerDocument: Double

        var tableRow: String {
            "machine speed" + (after.map { " after \($0)" } ?? "") + ": payload-4k "
                + String(format: "%.2f", microsPerDocument) + " µs of CPU per document"
        }

        var jsonLine: String {
            "{\"name\": \"machine-speed\", \"unit\": \"us_per_document\", \"after\": "
                + (after.map { "\"\($0)\"" } ?? "null") + ", \"payload_4k_us\": "
                + String(format: "%.2f", microsPerDocument) + "}"
        }
    }

    /// The fastest of `rounds` rounds of `calls` documents, in µs of this thread's CPU per document.
    static func measure(context: BenchmarkContext, after: String?, rounds: Int = 5, calls: Int = 400) throws -> Row {
        let document = try PayloadBenchmarks.payload(name: "machine-speed", fixture: "go-debug-vars-4k.json")
            .setUp(context)
        for _ in 0..<50 { document() }  // warm: caches, the reader's key order
        var fastest = Double.infinity
        for _ in 0..<rounds {
            let start = EndToEndBenchmark.threadCPUSeconds()
            for _ in 0..<calls { document() }
            fastest = min(fastest, (EndToEndBenchmark.threadCPUSeconds() - start) / Double(calls) * 1e6)
        }
        return Row(after: after, microsPerDocument: fastest)
    }
}
