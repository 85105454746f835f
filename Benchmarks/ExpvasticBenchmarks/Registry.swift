/// Every benchmark, in the order they run. Add new ones here.
let allBenchmarks: [Benchmark] = [
    PayloadBenchmarks.payload(name: "payload-4k", fixture: "go-debug-vars-4k.json"),
    PayloadBenchmarks.payload(name: "payload-10k", fixture: "go-debug-vars-10k.json"),
    PayloadBenchmarks.selfReader(name: "self-reader-100-series"),
]
