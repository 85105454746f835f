import Foundation

/// `swift run -c release ExpvasticBenchmarks [FILTER] [--json] [--runs N] [--cpu-time] [--calls N] [--fixtures DIR]`
///
/// FILTER keeps benchmarks whose name contains it. `--json` prints one JSON object per benchmark per
/// line instead of a table. `--cpu-time` times with the thread's CPU clock instead of the wall clock
/// (for busy machines). `--calls N` makes exactly N calls without warm-up, for `perf stat`. Fixtures default to `Tests/ExpvasticTests/Fixtures` under the current
/// directory.
@main
struct Benchmarks {
    static func main() {
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
        var runner = Runner()
        var context = BenchmarkContext(fixtures: "Tests/ExpvasticTests/Fixtures")
        var arguments = CommandLine.arguments.dropFirst()
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
            case "-h", "--help": usage(nil)
            default:
                guard filter == nil, !argument.hasPrefix("-") else { usage("unexpected argument \(argument)") }
                filter = argument
            }
        }
        let selected = allBenchmarks.filter { filter == nil || $0.name.contains(filter!) }
        if selected.isEmpty { usage("no benchmark matches \(filter ?? "")") }
        if !json {
            print(
                pad("benchmark", 24) + pad("median us", 12) + pad("min us", 12) + pad("max us", 12) + pad("docs/s", 12)
                    + pad("MB/s", 10) + "runs")
        }
        var failed = false
        for benchmark in selected {
            do {
                let r = try runner.run(benchmark, context: context)
                if json {
                    print(
                        "{\"name\": \"\(r.name)\", \"unit\": \"us/doc\", \"median\": \(fmt(r.median)), "
                            + "\"min\": \(fmt(r.min)), \"max\": \(fmt(r.max)), \"runs\": \(r.runs), "
                            + "\"docs_per_s\": \(fmt(r.callsPerSecond, 0)), \"mb_per_s\": \(fmt(r.megabytesPerSecond, 1))}"
                    )
                } else {
                    print(
                        pad(r.name, 24) + pad(fmt(r.median), 12) + pad(fmt(r.min), 12) + pad(fmt(r.max), 12)
                            + pad(fmt(r.callsPerSecond, 0), 12) + pad(fmt(r.megabytesPerSecond, 1), 10)
                            + "\(r.runs)x\(r.callsPerRun)")
                }
            } catch {
                FileHandle.standardError.write(Data("\(benchmark.name): \(error)\n".utf8))
                failed = true
            }
        }
        if failed { exit(1) }
    }

    static func usage(_ problem: String?) -> Never {
        let text = """
            usage: ExpvasticBenchmarks [FILTER] [--json] [--runs N] [--cpu-time] [--calls N] [--fixtures DIR]
            benchmarks: \(allBenchmarks.map(\.name).joined(separator: ", "))

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
