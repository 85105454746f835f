import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

extension ExpvarReader {
    /// The keys of a reader's own series (`bytes_read`, `fields_dropped` per reason,
    /// `fields_converted`), hashed once: every target of a job has the same 32, and hashing them
    /// again for each of 10,000 discovered targets was a tenth of the CPU of taking them on
    /// (`target-churn-10000`). Hand the same object to every reader of the job.
    public final class SeriesKeys: Sendable {
        /// The reader (job) name the keys carry.
        public let reader: String
        let bytesRead: MetricKey.Hashed
        /// In ``DropReason`` order.
        let dropped: [MetricKey.Hashed]
        let uintConverted: MetricKey.Hashed

        public init(reader: String) {
            self.reader = reader
            let label = MetricKey.Label("reader", reader)
            bytesRead = MetricKey.Hashed(MetricKey("bytes_read", labels: [label]))
            dropped = DropReason.allCases.map {
                MetricKey.Hashed(MetricKey("fields_dropped", labels: [label, MetricKey.Label("reason", $0.label)]))
            }
            uintConverted = MetricKey.Hashed(
                MetricKey("fields_converted", labels: [label, MetricKey.Label("reason", "uint_overflow")]))
        }
    }

    /// The ``SeriesKeys`` of the job whose reader was made last: a factory makes a job's targets
    /// one after another (the shipper starts them in target order), so 10,000 targets hash their
    /// keys once. One job's keys at a time, so it keeps nothing of a job that went away.
    public final class SeriesKeysCache: Sendable {
        private let last = Mutex<SeriesKeys?>(nil)

        public init() {}

        /// The keys of `reader`, made again only when the previous call was for another reader.
        public func keys(reader: String) -> SeriesKeys {
            last.withLock { last in
                if let keys = last, keys.reader == reader { return keys }
                let keys = SeriesKeys(reader: reader)
                last = keys
                return keys
            }
        }
    }
}
