import Expvastic
import Synchronization

/// Encoding a batch of realistic documents into one `_bulk` body (what every bulk request costs
/// before it is sent).
enum BulkEncodeBenchmarks {
    /// `batch` documents made from `fixture` by `readers` different readers, with consecutive
    /// timestamps, encoded together per call.
    static func encode(name: String, fixture: String, readers: Int, batch: Int) -> Benchmark {
        Benchmark(
            name: name,
            itemsPerCall: batch,
            bytesPerCall: { context in
                let documents = try makeDocuments(fixture: fixture, readers: readers, batch: batch, context)
                return try encoder().encode(documents).count
            },
            setUp: { context in
                let documents = try makeDocuments(fixture: fixture, readers: readers, batch: batch, context)
                let encoder = try encoder()
                return {
                    let body = encoder.encode(documents)
                    precondition(body.count > documents.count)
                }
            })
    }

    /// The same, then gzip at level 1 as `compression: gzip` sends it (with one compressor kept
    /// from call to call, as the recorder keeps one): the time is encode plus compress, the bytes
    /// are what goes on the wire (`bytes_per_item` in `--json`).
    static func encodeGzip(name: String, fixture: String, readers: Int, batch: Int) -> Benchmark {
        Benchmark(
            name: name,
            itemsPerCall: batch,
            bytesPerCall: { context in
                let documents = try makeDocuments(fixture: fixture, readers: readers, batch: batch, context)
                return try Gzip.compress(try encoder().encode(documents), level: 1).count
            },
            setUp: { context in
                let documents = try makeDocuments(fixture: fixture, readers: readers, batch: batch, context)
                let encoder = try encoder()
                let deflater = Mutex(try GzipDeflater(level: 1))
                return {
                    let body = deflater.withLock { try? $0.compress(encoder.encode(documents)) }
                    precondition((body?.count ?? 0) > 20)
                }
            })
    }

    static func encoder() throws -> BulkEncoder {
        BulkEncoder(indexName: try IndexName("expvastic-%{+yyyy.MM.dd}"), version: nil)
    }

    static func makeDocuments(fixture: String, readers: Int, batch: Int, _ context: BenchmarkContext) throws
        -> [Document]
    {
        let body = try PayloadBenchmarks.load(fixture, context)
        let logger = Logger(component: "bench", level: .error, handler: NoOpLogHandler())
        let pipelines = try (0..<readers).map { index in
            var configuration = ReaderConfiguration(
                name: "app_\(index)", kind: .expvar, typeName: "bench_app",
                url: try Endpoint.parse("127.0.0.1:\(20_000 + index)").get())
            configuration.timeout = .seconds(1)
            return ExpvarReader(
                configuration: configuration, transport: NoTransport(), metrics: MetricsRegistry(), logger: logger)
        }
        var documents: [Document] = []
        let start: Int64 = 1_795_284_000_000_000_000
        for index in 0..<batch {
            let reader = pipelines[index % readers]
            let wall = start + Int64(index / readers) * 1_000_000_000 + Int64(index % readers) * 997_000
            documents.append(try reader.document(fromBody: body, startedAtWallNanos: wall))
        }
        return documents
    }
}
