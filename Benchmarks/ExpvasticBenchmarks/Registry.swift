/// Every micro benchmark, in the order they run. Add new ones here.
let allBenchmarks: [Benchmark] = [
    PayloadBenchmarks.payload(name: "payload-4k", fixture: "go-debug-vars-4k.json"),
    PayloadBenchmarks.payload(name: "payload-10k", fixture: "go-debug-vars-10k.json"),
    PayloadBenchmarks.shuffledKeys(name: "payload-175k-shuffled", groups: 50, fields: 106),
    PayloadBenchmarks.selfReader(name: "self-reader-100-series"),
    PrometheusBenchmarks.scrape(name: "prometheus-node", fixture: "node-exporter-1.5.0.prom"),
    BulkEncodeBenchmarks.encode(name: "bulk-encode-4k", fixture: "go-debug-vars-4k.json", readers: 100, batch: 500),
    BulkEncodeBenchmarks.encodeGzip(
        name: "bulk-encode-gzip-4k", fixture: "go-debug-vars-4k.json", readers: 100, batch: 500),
    ConfigLoadBenchmarks.load(name: "config-load-1000", readers: 1000),
    ConfigLoadBenchmarks.load(name: "config-load-10000", readers: 10000),
    WriteAheadLogBenchmarks.append(name: "wal-append-4k", fixture: "go-debug-vars-4k.json", batch: 500, syncEvery: nil),
    WriteAheadLogBenchmarks.append(
        name: "wal-append-sync100-4k", fixture: "go-debug-vars-4k.json", batch: 500, syncEvery: 100),
    TargetChurnBenchmarks.replaceAll(name: "replace-targets-10000", targets: 10_000),
]

/// Every end-to-end benchmark (real processes, ~35 s each plus the reference), after the micro ones.
let allEndToEnd: [EndToEndBenchmark] = [
    EndToEndBenchmark.polling(name: "e2e-1", endpoints: 1),
    EndToEndBenchmark.polling(name: "e2e-100", endpoints: 100),
    EndToEndBenchmark.polling(name: "e2e-1000", endpoints: 1000),
    // Side by side with peers, in the same seconds (EndToEndBenchmark+Peers.swift).
    EndToEndBenchmark.perPoll(name: "poll-1", readers: 1, intervalMillis: 20),
    EndToEndBenchmark.perPoll(name: "poll-10", readers: 10, intervalMillis: 200),
    EndToEndBenchmark.perPoll(name: "poll-100", readers: 100, intervalMillis: 2000),
    EndToEndBenchmark.pollingBesideCollectd(name: "e2e-1000-peers", row: "e2e-1000", endpoints: 1000),
    EndToEndBenchmark.prometheusBesidePrometheus(name: "e2e-prom-1000", endpoints: 1000),
    EndToEndBenchmark.idle(name: "idle-rss"),
    EndToEndBenchmark.discovery(name: "discovery-file-1000", endpoints: 1000),
    // 10,000 targets every 10 s from a file_sd file, 100 endpoints per port (by path): at least
    // 60 s measured; discovery-file-10000 then replaces 10 % of the targets.
    EndToEndBenchmark.scale(name: "e2e-10000", targets: 10_000, perPort: 100, intervalSeconds: 10, rewrite: false),
    EndToEndBenchmark.scale(
        name: "discovery-file-10000", targets: 10_000, perPort: 100, intervalSeconds: 10, rewrite: true),
    EndToEndBenchmark.discoveryLoad(name: "discovery-load-1000", targets: 1000),
    EndToEndBenchmark.discoveryLoad(name: "discovery-load-10000", targets: 10_000),
    EndToEndBenchmark.targetMemory(name: "target-memory-10000", targets: 10_000),
    EndToEndBenchmark.targetChurn(name: "target-churn-10000", targets: 10_000),
]
