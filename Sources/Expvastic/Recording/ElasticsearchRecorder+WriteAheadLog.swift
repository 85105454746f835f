import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// The recorder's side of the write-ahead log: write on accept, confirm on delivery, fsync on a
/// timer. Confirmation is by `_id`; a document leaves the log when Elasticsearch stored it (2xx or
/// 409), when it was dead-lettered, or once it is durable in the spool. Documents that stay in
/// memory (waiting for a retry) stay unconfirmed, so a `kill -9` replays them after the restart.
extension ElasticsearchRecorder {
    /// Writes one accepted document to the log (`accept` cannot wait, and a `pwrite` to the page
    /// cache does not). A failure keeps the document in memory only: logged once when it starts,
    /// once when the log works again.
    package func log(_ document: Document, to writeAheadLog: WriteAheadLog) {
        do throws(SpoolError) {
            try writeAheadLog.append(document)
            // A plain load first: the exchange would take the cache line on every accept.
            if writeAheadLogFailing.load(ordering: .relaxed) && writeAheadLogFailing.exchange(false, ordering: .relaxed)
            {
                logger.info("write-ahead log writable again", ["spool.wal": writeAheadLog.directory])
            }
        } catch {
            if !writeAheadLogFailing.exchange(true, ordering: .relaxed) {
                logger.error(
                    "write-ahead log not writable; accepted documents are held in memory only until it is "
                        + "(a kill -9 meanwhile loses them)",
                    ["error": error.message, "spool.wal": writeAheadLog.directory])
            }
        }
    }

    /// A live batch's request finished: its stored items leave the log. Items to retry stay;
    /// dead-lettered and spooled ones are confirmed when those files have them.
    package func confirmStored(_ batch: BulkStateMachine.Batch, outcome: BulkStateMachine.BulkOutcome) {
        guard let writeAheadLog, batch.origin == .live else { return }
        switch outcome {
        case .allStored:
            writeAheadLog.confirm(batch.documents)
        case .items(let results):
            var stored: [Document] = []
            for (document, result) in zip(batch.documents, results) where result.disposition == .stored {
                stored.append(document)
            }
            writeAheadLog.confirm(stored)
        case .status, .unreadable, .connectionFailed:
            break
        }
    }

    /// Group commit: makes what the log got durable every `wal_sync_interval` (nothing when
    /// nothing was written). Where the kernel takes AIO syncs (Linux 4.18+), they are handed to it
    /// right here (``WriteAheadLog/startSync()``): no thread of ours wakes or blocks for them.
    /// Otherwise they run on the recorder's I/O executor, without waiting for them (one group at a
    /// time; the next tick skips while one runs). Ends when the recorder's loop does;
    /// ``closeWriteAheadLog()`` waits for syncs still running.
    ///
    /// On a ``HostedClock`` (the HTTP loop's timers, see ``loopHost``) the timer waits 90 % of the
    /// interval with the last 10 % as slack: the sync starts within the interval, never sooner
    /// than 90 % of it after the last, and often on a wake-up the loop makes anyway for a poll
    /// instead of one of its own. (Half and half synced up to twice as often when polls woke the
    /// loop every few milliseconds.)
    package func syncPeriodically(_ writeAheadLog: WriteAheadLog, clock: any TimeSource) async {
        let interval = configuration.walSyncInterval.nanoseconds
        let running = SyncInFlight()
        let hosted = clock as? HostedClock  // once: a dynamic cast per tick showed in profiles
        while true {
            let now = clock.monotonicNanos()
            do {
                if let hosted {
                    try await hosted.sleep(untilMonotonic: now &+ interval - interval / 10, slack: interval / 10)
                } else {
                    try await clock.sleep(untilMonotonic: now &+ interval)
                }
            } catch {
                return
            }
            if !running.flag.load(ordering: .acquiring) {
                do throws(SpoolError) {
                    if try writeAheadLog.startSync() != .unavailable { continue }
                } catch {
                    reportSyncFailure(error, writeAheadLog)
                    continue
                }
            }
            guard writeAheadLog.needsSync, !running.flag.exchange(true, ordering: .acquiring) else { continue }
            io.submit {
                self.sync(writeAheadLog)
                running.flag.store(false, ordering: .releasing)
            }
        }
    }

    /// Whether a group commit is running on the I/O executor.
    private final class SyncInFlight: Sendable {
        package let flag = Atomic<Bool>(false)
    }

    /// Where the recorder's loop and the sync timer run: on the HTTP client's loop thread when the
    /// transport has one and the clock is the real one (their timers are then more deadlines of a
    /// wait the loop does anyway, instead of a wake-up of the sleep thread and a worker each).
    package var loopHost: (executor: (any TaskExecutor)?, clock: any TimeSource) {
        guard clock is SystemClock, let executor = (transport as? SocketHTTPTransport)?.pollExecutor() else {
            return (nil, clock)
        }
        return (executor, HostedClock(base: clock, host: executor))
    }

    /// After the loop ended and everything left was spooled: the log holds nothing unconfirmed
    /// (unless the spool failed), so its segments go.
    package func closeWriteAheadLog() async {
        guard let writeAheadLog else { return }
        do throws(SpoolError) {
            try await io.run { () throws(SpoolError) in try writeAheadLog.close() }
        } catch {
            logger.error("write-ahead log cannot be synced at shutdown", ["error": error.message])
        }
    }

    /// On the I/O executor.
    private func sync(_ writeAheadLog: WriteAheadLog) {
        do throws(SpoolError) {
            _ = try writeAheadLog.sync()
        } catch {
            reportSyncFailure(error, writeAheadLog)
        }
    }

    /// Logged once until the log works again.
    private func reportSyncFailure(_ error: SpoolError, _ writeAheadLog: WriteAheadLog) {
        if !writeAheadLogFailing.exchange(true, ordering: .relaxed) {
            logger.error(
                "write-ahead log cannot be synced; a power loss may lose recent documents",
                ["error": error.message, "spool.wal": writeAheadLog.directory])
        }
    }
}
