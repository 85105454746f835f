import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The tunables of an Elasticsearch recorder's send loop, from its configuration plus the timing
/// constants of retries, probes and spool replay.
public struct BulkPolicy: Sendable, Equatable {
    /// `bulk_max_docs`: a batch is sent when it holds this many documents.
    public var maxDocs: Int
    /// `bulk_max_bytes`: … or this many bytes of NDJSON.
    public var maxBytes: Int
    /// `flush_interval`: … or when its oldest document has waited this long.
    public var flushInterval: Duration
    /// `queue_size`: documents held in memory (queued, waiting for a retry or in flight); more go to
    /// the spool.
    public var queueSize: Int
    /// `queue_max_bytes`: the same bound in bytes (``BulkEncoder/estimatedSize(of:)``); while the
    /// spool cannot take more, the oldest documents beyond it are dropped and counted.
    public var queueMaxBytes: Int
    /// `backoff`: failed attempts after which a batch goes to the spool.
    public var maxAttempts: Int
    /// `template`: install the index template at start-up and after reconnecting.
    public var installsTemplate: Bool
    /// `data_stream` is set: a cluster without data streams is treated as not answering.
    public var usesDataStream = false
    /// First retry delay of failed items and batches; doubles per attempt up to `retryCap`.
    public var retryBase: Duration = .milliseconds(200)
    public var retryCap: Duration = .seconds(30)
    /// First re-probe delay of an endpoint that does not answer; doubles up to `probeCap`.
    public var probeBase: Duration = .milliseconds(500)
    public var probeCap: Duration = .seconds(10)
    /// The longest `Retry-After` honoured (a broken proxy must not stall the recorder for hours;
    /// the spool holds the data meanwhile anyway).
    public var retryAfterCap: Duration = .seconds(300)
    /// Spool replay sends at most one batch of `maxDocs` per this interval, alongside live traffic.
    public var replayInterval: Duration = .milliseconds(100)
    /// How long to wait before trying the spool again after a spool write failed.
    public var spoolRetryDelay: Duration = .seconds(5)
    /// First pause after a `cluster_block_exception`; doubles per blocked attempt up to `blockCap`.
    public var blockBase: Duration = .seconds(1)
    public var blockCap: Duration = .seconds(60)
    /// Minimum gap between two dead-letter warnings in the log.
    public var deadLetterLogInterval: Duration = .seconds(60)

    public init(
        maxDocs: Int = 500,
        maxBytes: Int = 5 << 20,
        flushInterval: Duration = .seconds(1),
        queueSize: Int = 10_000,
        queueMaxBytes: Int = 64 << 20,
        maxAttempts: Int = 5,
        installsTemplate: Bool = true
    ) {
        self.queueMaxBytes = max(1, queueMaxBytes)
        self.maxDocs = max(1, maxDocs)
        self.maxBytes = max(1, maxBytes)
        self.flushInterval = flushInterval
        self.queueSize = max(1, queueSize)
        self.maxAttempts = max(1, maxAttempts)
        self.installsTemplate = installsTemplate
    }

    /// The policy an `elasticsearch` recorder's configuration asks for.
    public init(configuration: ElasticsearchConfiguration) {
        self.init(
            maxDocs: configuration.bulkMaxDocs,
            maxBytes: configuration.bulkMaxBytes,
            flushInterval: configuration.flushInterval,
            queueSize: configuration.queueSize,
            queueMaxBytes: configuration.queueMaxBytes,
            maxAttempts: configuration.backoff,
            installsTemplate: configuration.template
        )
        usesDataStream = configuration.dataStream != nil
    }
}
