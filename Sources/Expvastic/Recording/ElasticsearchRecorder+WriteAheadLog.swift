import Synchronization

/// The recorder's side of the write-ahead log: write on accept, confirm on delivery, fsync on a
/// timer. Confirmation is by `_id`; a document leaves the log when Elasticsearch stored it (2xx or
/// 409), when it was dead-lettered, or once it is durable in the spool. Documents that stay in
/// memory (waiting for a retry) stay unconfirmed, so a `kill -9` replays them after the restart.
extension ElasticsearchRecorder {
    /// Writes one accepted document to the log (`accept` cannot wait, and a `pwrite` to the page
    /// cache does not). A failure keeps the document in memory only: logged once when it starts,
    /// once when the log works again.
    func log(_ document: Document, to writeAheadLog: WriteAheadLog) {
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
    func confirmStored(_ batch: BulkStateMachine.Batch, outcome: BulkStateMachine.BulkOutcome) {
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

    /// Group commit: fsyncs what the log got every `wal_sync_interval` (nothing when nothing was
    /// written), on the recorder's I/O executor. Ends when the recorder's loop does.
    func syncPeriodically(_ writeAheadLog: WriteAheadLog) async {
        let interval = configuration.walSyncInterval
        while true {
            do { try await clock.sleep(for: interval) } catch { return }
            await sync(writeAheadLog)
        }
    }

    /// After the loop ended and everything left was spooled: the log holds nothing unconfirmed
    /// (unless the spool failed), so its segments go.
    func closeWriteAheadLog() async {
        guard let writeAheadLog else { return }
        do throws(SpoolError) {
            try await io.run { () throws(SpoolError) in try writeAheadLog.close() }
        } catch {
            logger.error("write-ahead log cannot be synced at shutdown", ["error": error.message])
        }
    }

    private func sync(_ writeAheadLog: WriteAheadLog) async {
        do throws(SpoolError) {
            try await io.run { () throws(SpoolError) in _ = try writeAheadLog.sync() }
        } catch {
            if !writeAheadLogFailing.exchange(true, ordering: .relaxed) {
                logger.error(
                    "write-ahead log cannot be synced; a power loss may lose recent documents",
                    ["error": error.message, "spool.wal": writeAheadLog.directory])
            }
        }
    }
}
