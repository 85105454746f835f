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
        /// `bytesRead`, `dropped`…, `uintConverted`: one ``MetricsFactory/counters(_:)`` call.
        let all: [MetricKey.Hashed]

        public init(reader: String) {
            self.reader = reader
            let label = MetricKey.Label("reader", reader)
            bytesRead = MetricKey.Hashed(MetricKey("bytes_read", labels: [label]))
            dropped = DropReason.allCases.map {
                MetricKey.Hashed(MetricKey("fields_dropped", labels: [label, MetricKey.Label("reason", $0.label)]))
            }
            uintConverted = MetricKey.Hashed(
                MetricKey("fields_converted", labels: [label, MetricKey.Label("reason", "uint_overflow")]))
            all = [bytesRead] + dropped + [uintConverted]
        }
    }

    /// The ``SeriesKeys`` of the job whose reader was made last: a factory makes a job's targets
    /// one after another (the shipper starts them in target order), so 10,000 targets hash their
    /// keys once. One job's keys at a time, so it keeps nothing of a job that went away.
    public final class SeriesKeysCache: Sendable {
        private let last = Mutex<SeriesKeys?>(nil)
        private let lastParts = Mutex<JobParts?>(nil)

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

        /// The parts of `configuration`'s job, made again only when the previous call's do not fit.
        public func parts(for configuration: ReaderConfiguration) -> JobParts {
            lastParts.withLock { last in
                if let parts = last, parts.fits(configuration) { return parts }
                let parts = JobParts(configuration: configuration, keys: keys(reader: configuration.name))
                last = parts
                return parts
            }
        }
    }

    /// What every reader (target) of a job makes alike from its configuration: request headers,
    /// flattener options, the envelope's `type` and `reader` values, series keys. Made once per job
    /// (``SeriesKeysCache/parts(for:)``), not per target: building them was a tenth of the CPU of
    /// making a reader, and 10,000 copies of the options and headers were heap for nothing.
    public final class JobParts: Sendable {
        /// The configuration the parts come from (its first target's).
        let source: ReaderConfiguration
        let keys: SeriesKeys
        let headers: [(name: String, value: String)]
        let options: Flattener.Options
        let quotedType: [UInt8]
        let quotedReader: [UInt8]
        let preferredSlot: Int

        public init(configuration: ReaderConfiguration, keys: SeriesKeys? = nil) {
            source = configuration
            self.keys =
                keys.flatMap { $0.reader == configuration.name ? $0 : nil } ?? SeriesKeys(reader: configuration.name)
            headers = configuration.requestHeaders(defaultAccept: "application/json")
            options = Flattener.Options(configuration: configuration)
            quotedType = DocumentEnvelope.quoted(configuration.typeName)
            quotedReader = DocumentEnvelope.quoted(configuration.name)
            preferredSlot = Int(truncatingIfNeeded: StableHash.mixed64(configuration.name) % (1 << 20))
        }

        /// True when `configuration` gives the same parts: the same job settings, whatever its
        /// target (endpoint and discovery labels are the reader's own).
        public func fits(_ configuration: ReaderConfiguration) -> Bool {
            // A copy of the same job's settings, at once (10,000 targets of a job are).
            if configuration.sharesJobSettings(with: source) { return true }
            return configuration.name == source.name && configuration.typeName == source.typeName
                && configuration.headers == source.headers && configuration.include == source.include
                && configuration.exclude == source.exclude && configuration.fieldMap == source.fieldMap
                && configuration.split == source.split
        }
    }
}
