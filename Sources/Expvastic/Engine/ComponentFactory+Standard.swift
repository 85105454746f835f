import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// The real readers and recorders.
extension ComponentFactory {
    /// - Parameters:
    ///   - transport: shared by every expvar reader and Elasticsearch recorder (one connection pool).
    ///   - registry: metrics for every component; the `self` reader reads it back.
    ///   - samples: bulk events for the collection API.
    public static func standard(
        transport: any HTTPTransport,
        clock: any TimeSource,
        registry: MetricsRegistry,
        samples: SampleCollection?
    ) -> ComponentFactory {
        // One set of parse buffers per core for all expvar readers (see ParseScratchPool).
        let scratch = ParseScratchPool()
        // Template names are claimed process-wide: no recorder overwrites another's template.
        let templateClaims = IndexTemplateClaims()
        // Fields a cluster refused, learned by the Elasticsearch recorders, applied by the readers.
        let fieldPins = FieldPins()
        // File reads and DNS exchanges of every discovery source block one thread here, not the pool.
        let discoveryExecutor = BlockingExecutor(label: "expvastic.discovery")
        // Hashes a job's reader series keys and makes its readers' common parts once, not per target.
        let expvarSeries = ExpvarReader.SeriesKeysCache()
        return ComponentFactory(
            makeReader: { configuration, logger in
                switch configuration.kind {
                case .expvar:
                    ExpvarReader(
                        configuration: configuration, transport: transport, metrics: registry, logger: logger,
                        scratch: scratch, fieldPins: fieldPins,
                        job: expvarSeries.parts(for: configuration))
                case .self:
                    SelfReader(configuration: configuration, registry: registry)
                case .prometheus:
                    PrometheusReader(
                        configuration: configuration, transport: transport, clock: clock, metrics: registry,
                        logger: logger)
                }
            },
            makeRecorder: { configuration, logger in
                switch configuration.kind {
                case .elasticsearch(let elasticsearch):
                    let spool = try FileSpool(
                        directory: elasticsearch.spoolDirectory,
                        maxBytes: elasticsearch.spoolMaxBytes,
                        segmentBytes: FileSpool.segmentBytes(forMaxBytes: elasticsearch.spoolMaxBytes),
                        logger: logger.child(logger.component + ".spool"),
                        metrics: registry,
                        metricLabels: [MetricKey.Label("recorder", configuration.name)]
                    )
                    let writeAheadLog =
                        elasticsearch.writeAheadLog
                        ? try spool.openWriteAheadLog(
                            logger: logger.child(logger.component + ".wal"),
                            metrics: registry,
                            metricLabels: [MetricKey.Label("recorder", configuration.name)]
                        ) : nil
                    return ElasticsearchRecorder(
                        name: configuration.name,
                        configuration: elasticsearch,
                        transport: transport,
                        spool: spool,
                        clock: clock,
                        metrics: registry,
                        logger: logger,
                        samples: samples,
                        templateClaims: templateClaims,
                        fieldPins: fieldPins,
                        writeAheadLog: writeAheadLog
                    )
                case .file(let file):
                    return try FileRecorder(
                        name: configuration.name, configuration: file, clock: clock, metrics: registry, logger: logger)
                }
            },
            makeTargetFetcher: { source, _ in
                switch source {
                case .static(let addresses): StaticTargetFetcher(addresses: addresses)
                case .file(let file): FileTargetFetcher(paths: file.paths, executor: discoveryExecutor)
                case .dns(let dns): DNSTargetFetcher(configuration: dns, executor: discoveryExecutor)
                case .http(let http): HTTPTargetFetcher(url: http.url, timeout: http.timeout, transport: transport)
                case .etcd(let etcd):
                    EtcdTargetFetcher(
                        prefix: etcd.prefix,
                        client: EtcdClient(
                            endpoints: etcd.endpoints, transport: transport,
                            credentials: etcd.username.map { ($0, etcd.password?.value ?? "") }, timeout: etcd.timeout))
                }
            },
            pollExecutor: (transport as? SocketHTTPTransport)?.pollExecutor()
        )
    }
}
