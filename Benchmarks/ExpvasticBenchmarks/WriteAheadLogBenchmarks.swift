import Expvastic
import Foundation

/// What the write-ahead log adds to every accepted document: one `pwrite` of its record (what
/// `accept` does), its confirmation once a batch is stored, segment rolls and deletions, and,
/// with `syncEvery`, one group-commit `sync()` per that many documents (at `wal_sync_interval`
/// 100 ms, 100 documents per sync is 1,000 documents/s). The log lives under `.build/`, on the
/// disk the spool would use (not a tmpfs).
enum WriteAheadLogBenchmarks {
    static func append(name: String, fixture: String, batch: Int, syncEvery: Int?) -> Benchmark {
        Benchmark(
            name: name,
            itemsPerCall: batch,
            bytesPerCall: { context in
                try BulkEncodeBenchmarks.makeDocuments(fixture: fixture, readers: 100, batch: batch, context)
                    .reduce(0) { $0 + $1.body.count }
            },
            setUp: { context in
                let documents = try BulkEncodeBenchmarks.makeDocuments(
                    fixture: fixture, readers: 100, batch: batch, context)
                let directory = context.packageRoot + "/.build/bench-wal-\(name)"
                try? FileManager.default.removeItem(atPath: directory)
                let logger = Logger(component: "bench", level: .error, handler: NoOpLogHandler())
                let spool = try FileSpool(directory: directory, maxBytes: 1 << 30, logger: logger)
                let log = try spool.openWriteAheadLog(logger: logger)
                return {
                    for (index, document) in documents.enumerated() {
                        do {
                            try log.append(document)
                            if let syncEvery, (index + 1) % syncEvery == 0 { try log.sync() }
                        } catch {
                            preconditionFailure("write-ahead log benchmark: \(error)")
                        }
                    }
                    log.confirm(documents)
                }
            })
    }
}
