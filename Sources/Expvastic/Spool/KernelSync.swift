internal import CAsyncIO
import Glibc

/// `fsync` and `fdatasync` handed to the kernel: Linux AIO (`IOCB_CMD_FSYNC`, `IOCB_CMD_FDSYNC`,
/// Linux 4.18+) queues each on a kernel worker and returns at once, so the caller neither blocks
/// nor wakes a thread of its own that would block. The results are reaped later.
///
/// The write-ahead log's group commit uses it from the HTTP client's loop thread (see
/// ``WriteAheadLog/startSync()``). Measured on the benchmark VM (ext4 on a virtio disk), a group
/// commit every 100 ms handed to a thread that blocks in `fsync` cost that thread 5.4 context
/// switches (its wake-up, and the waits inside `fsync`); submitted here, the submitting thread
/// makes none. The kernel does the same work either way, in its worker instead of ours (so it is
/// no longer in the process's own CPU time or switch counts).
///
/// Calls are not serialized here: the kernel's context takes concurrent calls, and the log
/// makes them under its lock.
package final class KernelSync: Sendable {
    /// One file to sync.
    package struct Request: Equatable, Sendable {
        package var descriptor: Int32
        /// `fdatasync` (the data, and the size when it changed) instead of `fsync`.
        package var dataOnly: Bool

        package init(descriptor: Int32, dataOnly: Bool) {
            self.descriptor = descriptor
            self.dataOnly = dataOnly
        }
    }

    /// Requests the context holds at most; ``submit(_:)`` takes fewer when more are in flight.
    package let capacity: Int
    private let context: UInt64

    /// Nil when the kernel offers no AIO (`ENOSYS`, a seccomp filter, `fs.aio-max-nr` reached):
    /// then sync on a thread that may block.
    package init?(capacity: Int = 16) {
        var context: UInt64 = 0
        guard expvastic_aio_setup(UInt32(capacity), &context) == 0 else { return nil }
        self.capacity = capacity
        self.context = context
    }

    /// Waits for the syncs still running, then frees the context.
    deinit {
        _ = expvastic_aio_destroy(context)
    }

    /// Submits the requests in order; the kernel keeps its own reference to each file, so the
    /// descriptors may be closed as soon as this returns.
    ///
    /// - Returns: how many were submitted (the first ones: fewer than asked when the kernel refused
    ///   one, and the rest were not tried), and the `errno` of the refusal when none was.
    package func submit(_ requests: [Request]) -> (submitted: Int, errno: Int32) {
        guard !requests.isEmpty else { return (0, 0) }
        let descriptors = requests.map(\.descriptor)
        let dataOnly = requests.map { $0.dataOnly ? Int32(1) : 0 }
        let result = expvastic_aio_submit_syncs(context, descriptors, dataOnly, Int32(requests.count))
        return result < 0 ? (0, -result) : (Int(result), 0)
    }

    /// Results of finished requests: 0, or the `errno` its `fsync` failed with.
    ///
    /// - Parameters:
    ///   - minimum: waits until at least this many finished (0: returns at once).
    ///   - maximum: at most this many (at most 16 per call).
    ///   - timeoutNanos: nil waits as long as it takes; only call that for requests in flight.
    /// - Returns: the results, or an `errno` when the call itself failed.
    package func reap(minimum: Int, maximum: Int, timeoutNanos: Int64? = 0) -> Result<[Int32], KernelSyncError> {
        var results = [Int64](repeating: 0, count: min(maximum, 16))
        let count = results.withUnsafeMutableBufferPointer { buffer in
            expvastic_aio_reap(
                context, Int32(minimum), Int32(buffer.count), buffer.baseAddress, timeoutNanos ?? -1)
        }
        if count < 0 { return .failure(KernelSyncError(errno: -count)) }
        return .success(results[0..<Int(count)].map { $0 < 0 ? Int32(truncatingIfNeeded: -$0) : 0 })
    }
}

/// A failed AIO call (not a failed `fsync`: those are results).
package struct KernelSyncError: Error, Equatable {
    package var errno: Int32
}
