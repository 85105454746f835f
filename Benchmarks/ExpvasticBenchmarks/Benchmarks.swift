import Foundation

/// `swift run -c release ExpvasticBenchmarks [FILTER] [--json] [--runs N] [--cpu-time] [--calls N] [--fixtures DIR]
/// [--warmup S] [--window S] [--repeat N] [--no-reference] [--no-wal] [--no-gzip] [--expvasyml PATH]`
///
/// FILTER keeps benchmarks whose name contains it (a name equal to FILTER keeps only that one).
/// `--json` prints one JSON object per benchmark per line instead of a table. `--cpu-time` times
/// with the thread's CPU clock instead of the wall clock (for busy machines). `--calls N` makes
/// exactly N calls without warm-up, for `perf stat`. Fixtures default to `Tests/ExpvasticTests/Fixtures`
/// under the current directory, which must be the package root.
///
/// End-to-end benchmarks (`e2e-*`, `idle-rss`) run the release `expvasyml` from the same build
/// products directory (build it first: `swift build -c release`) against the Go fixture server
/// (built into that directory with `go build`), and the Python reference when python3 exists.
/// `--expvasyml PATH` measures another build (a static one, or a baseline for an A/B comparison).
/// `--repeat N` runs each end-to-end benchmark N times, then prints a ``SeriesSummary`` per row.
@main
struct Benchmarks {
    static func main() async {
        #if DEBUG
            FileHandle.standardError.write(
                Data(
                    """
                    *** WARNING: ExpvasticBenchmarks was built in DEBUG mode; numbers are meaningless. ***
                    *** Run: swift run -c release ExpvasticBenchmarks                                  ***

                    """.utf8))
        #endif
        var filter: String?
        var json = false
        var repeats = 1
        var runner = Runner()
        var context = BenchmarkContext(fixtures: "Tests/ExpvasticTests/Fixtures")
        var arguments = CommandLine.arguments.dropFirst()
        func seconds(_ option: String) -> Int {
            guard let value = arguments.popFirst(), let number = Int(value), number > 0 else {
                usage("\(option) needs a positive number of seconds")
            }
            return number
        }
        while let argument = arguments.popFirst() {
            switch argument {
            case "--json": json = true
            case "--cpu-time": runner.cpuTime = true
            case "--calls":
                guard let value = arguments.popFirst(), let calls = Int(value), calls >= 0 else {
                    usage("--calls needs a number")
                }
                runner.fixedCalls = calls
            case "--fixtures":
                guard let value = arguments.popFirst() else { usage("--fixtures needs a directory") }
                context.fixtures = value
            case "--runs":
                guard let value = arguments.popFirst(), let runs = Int(value), runs > 0 else {
                    usage("--runs needs a positive number")
                }
                runner.runs = runs
            case "--repeat":
                guard let value = arguments.popFirst(), let count = Int(value), count > 0 else {
                    usage("--repeat needs a positive number")
                }
                repeats = count
            case "--warmup": context.warmUpSeconds = seconds(argument)
            case "--window": context.windowSeconds = seconds(argument)
            case "--no-reference": context.reference = false
            case "--no-wal": context.writeAheadLog = false
            case "--no-gzip": context.gzip = false
            case "--expvasyml":
                guard let value = arguments.popFirst() else { usage("--expvasyml needs a path") }
                context.expvasyml = value
            case "-h", "--help": usage(nil)
            default:
                guard filter == nil, !argument.hasPrefix("-") else { usage("unexpected argument \(argument)") }
                filter = argument
            }
        }
        func selected(_ name: String) -> Bool {
            guard let filter else { return true }
            let names = allBenchmarks.map(\.name) + allEndToEnd.map(\.name)
            return names.contains(filter) ? name == filter : name.contains(filter)
        }
        let micro = allBenchmarks.filter { selected($0.name) }
        let endToEnd = allEndToEnd.filter { selected($0.name) }
        if micro.isEmpty && endToEnd.isEmpty { usage("no benchmark matches \(filter ?? "")") }
        // Children run in temporary directories.
        let current = FileManager.default.currentDirectoryPath
        context.packageRoot = current
        if !context.fixtures.hasPrefix("/") { context.fixtures = current + "/" + context.fixtures }
        if !json { printMachine() }
        var failed = false
        if !micro.isEmpty && !json {
            print(
                pad("benchmark", 24) + pad("unit", 9) + pad("median", 12) + pad("min", 12) + pad("max", 12)
                    + pad("per s", 12) + pad("MB/s", 10) + pad("allocs", 9) + "runs")
        }
        for benchmark in micro {
            do {
                let r = try runner.run(benchmark, context: context)
                let rateKey = r.unit.split(separator: "/").last.map { "\($0)s_per_s" } ?? "per_s"
                if json {
                    print(
                        "{\"name\": \"\(r.name)\", \"unit\": \"\(r.unit)\", \"median\": \(fmt(r.median)), "
                            + "\"min\": \(fmt(r.min)), \"max\": \(fmt(r.max)), \"runs\": \(r.runs), "
                            + "\"\(rateKey)\": \(fmt(r.itemsPerSecond, 0)), \"mb_per_s\": \(fmt(r.megabytesPerSecond, 1)), "
                            + "\"allocations_per_item\": \(fmt(r.allocationsPerItem, 1)), "
                            + "\"bytes_per_item\": \(fmt(r.bytesPerItem, 1))}"
                    )
                } else {
                    print(
                        pad(r.name, 24) + pad(r.unit, 9) + pad(fmt(r.median), 12) + pad(fmt(r.min), 12)
                            + pad(fmt(r.max), 12) + pad(fmt(r.itemsPerSecond, 0), 12)
                            + pad(fmt(r.megabytesPerSecond, 1), 10) + pad(fmt(r.allocationsPerItem, 1), 9)
                            + "\(r.runs)x\(r.callsPerRun)")
                }
            } catch {
                FileHandle.standardError.write(Data("\(benchmark.name): \(error)\n".utf8))
                failed = true
            }
        }
        if !endToEnd.isEmpty {
            do {
                let environment = try EndToEndEnvironment(context: context)
                if !json {
                    print("")
                    print(EndToEndResult.header)
                }
                for benchmark in endToEnd {
                    var runs: [[EndToEndResult]] = []
                    for _ in 0..<repeats {
                        let speed = try MachineSpeed(context: context)
                        do {
                            let rows = try await benchmark.run(environment)
                            for row in rows { print(json ? row.jsonLine : row.tableRow) }
                            runs.append(rows.compactMap { $0 as? EndToEndResult })
                        } catch {
                            FileHandle.standardError.write(Data("\(benchmark.name): \(error)\n".utf8))
                            failed = true
                        }
                        let row = await speed.stop(benchmark: benchmark.name)
                        print(json ? row.jsonLine : row.tableRow)
                    }
                    if repeats > 1 {
                        for summary in SeriesSummary.of(runs) { print(json ? summary.jsonLine : summary.tableRow) }
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("end-to-end: \(error)\n".utf8))
                failed = true
            }
        }
        if failed { exit(1) }
    }

    /// The machine line the README quotes with results.
    static func printMachine() {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1)
            .last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ")
            .prefix(3).joined(separator: " ")
        print(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) x \(model); \(Date()); load average \(load)\n")
    }

    static func usage(_ problem: String?) -> Never {
        let text = """
            usage: ExpvasticBenchmarks [FILTER] [--json] [--runs N] [--cpu-time] [--calls N] [--fixtures DIR]
                                       [--warmup S] [--window S] [--repeat N] [--no-reference] [--no-wal] [--no-gzip]
                                       [--expvasyml PATH]
            benchmarks: \((allBenchmarks.map(\.name) + allEndToEnd.map(\.name)).joined(separator: ", "))

            """
        if let problem {
            FileHandle.standardError.write(Data(("error: " + problem + "\n" + text).utf8))
            exit(64)
        }
        print(text, terminator: "")
        exit(0)
    }

    static func fmt(_ value: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", value) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
