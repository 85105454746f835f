import AllocationCounter
import Expvastic
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The CPU the shipper's own bookkeeping costs to take on and replace N discovered targets, in this
/// process and without tasks or I/O (what `discovery-load-N` measures apart from the file, the
/// engines' tasks and the event loop): the same steps as `Shipper` per file answer, in its order.
///
/// - the job's desired state updated (``DesiredStateBuilder/update(job:discovered:)``) and handed to
///   the reconciler (``Reconciler/desire(_:changed:)``);
/// - per started target: its logger, reader (the standard factory) and engine (series registered);
/// - per stopped target: its series and health entry released at once
///   (`MetricsRegistry.removeSeries(labelled:)`, `HealthBoard.remove(_:)`, named by its engine), and the ends reported
///   together after the actions (``Reconciler/stopped(targets:)``; the engines were waiting for
///   their next tick).
///
/// Steps: load N, replace 10 %, replace all, five times on a fresh state (the median of each step is
/// reported, and the heap allocations per target of loading and of replacing all, which do not vary
/// with the machine); thread CPU time (`CLOCK_THREAD_CPUTIME_ID`), so it is
/// steadier than the end-to-end benchmark.
struct TargetChurnResult: ResultRow {
    var name: String
    var targets: Int
    var loadSeconds: Double
    var reconcileTenthSeconds: Double
    var reconcileAllSeconds: Double
    /// Heap allocations per target: loading N, replacing all N (made and freed).
    var loadAllocations: Double
    var reconcileAllAllocations: Double

    var tableRow: String {
        let f = Benchmarks.fmt
        return Benchmarks.pad(name, 22)
            + "load \(f(loadSeconds * 1000, 1)) ms CPU, replace 10 % \(f(reconcileTenthSeconds * 1000, 1)) ms, "
            + "replace all \(f(reconcileAllSeconds * 1000, 1)) ms (\(targets) targets, no tasks or I/O); "
            + "allocations per target: load \(f(loadAllocations, 1)), replace all \(f(reconcileAllAllocations, 1))"
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        return "{\"name\": \"\(name)\", \"unit\": \"cpu_ms\", \"targets\": \(targets), "
            + "\"load_cpu_ms\": \(f(loadSeconds * 1000, 2)), \"reconcile_10_percent_cpu_ms\": "
            + "\(f(reconcileTenthSeconds * 1000, 2)), \"reconcile_100_percent_cpu_ms\": "
            + "\(f(reconcileAllSeconds * 1000, 2)), \"load_allocations_per_target\": \(f(loadAllocations, 1)), "
            + "\"reconcile_100_percent_allocations_per_target\": \(f(reconcileAllAllocations, 1))}"
    }
}

/// The shipper's bookkeeping for one job's answers, as `Shipper` does it per file answer, without
/// tasks or I/O (see ``TargetChurnResult``): a fresh registry, state and reconciler.
final class TargetChurnHarness {
    /// The job `api` (polling every `interval`), from the same YAML as `discovery-load-N`'s.
    static func configuration(interval: String = "1h") throws -> Configuration {
        let yaml = BenchmarkConfiguration.jobYAML(
            targetsFile: "/nonexistent/targets.json", sink: "http://127.0.0.1:9", spoolDirectory: "/tmp/unused",
            interval: interval)
        let loaded = ConfigurationLoader.load(yaml: yaml, baseDirectory: ".", environment: [:], strict: true)
        guard let configuration = loaded.configuration else {
            throw BenchmarkError(description: loaded.diagnostics.map(\.formatted).joined(separator: "; "))
        }
        return configuration
    }

    /// The answer of the targets `indices` (100 endpoints per port, labelled as the file's are).
    static func answer(_ indices: some Sequence<Int>) -> [DiscoveredTarget] {
        indices.map {
            DiscoveredTarget(
                address: "127.0.0.1:\(20_000 + $0 / 100)/t/\($0)/debug/vars", labels: ["bench_target": "app_\($0)"])
        }
    }

    let registry = MetricsRegistry()
    let health = HealthBoard()
    let clock = SystemClock()
    let factory: ComponentFactory
    let logger = Logger(component: "bench", level: .warn, handler: NoOpLogHandler())
    var builder = DesiredStateBuilder()
    var reconciler = Reconciler()
    var engines: [TargetID: Engine] = [:]

    init(configuration: Configuration) {
        factory = ComponentFactory.standard(transport: NoTransport(), clock: clock, registry: registry, samples: nil)
        builder.build(configuration: configuration, discovered: [:])
        // The recorders, as at start-up.
        _ = reconciler.desire(builder.state)
    }

    /// The job's answer is `discovered`: its state updated and handed to the reconciler, and the
    /// actions performed.
    func take(_ discovered: [DiscoveredTarget]) throws {
        let changed = builder.update(job: "api", discovered: discovered).changed
        try perform(reconciler.desire(builder.state, changed: changed))
    }

    private func perform(_ actions: [Reconciler.Action]) throws {
        var ended: [TargetID] = []
        for action in actions {
            switch action {
            case .startTarget(let id, let spec):
                let component = Shipper.component(id, discovered: spec.discovered)
                let readerLogger = logger.child(component, level: spec.logLevel)
                let reader = try spec.withReader { try factory.makeReader($0, readerLogger) }
                engines[id] = Engine(
                    reader: reader, interval: spec.reader.interval, backoff: spec.reader.backoff,
                    recorders: [], clock: clock, metrics: registry, logger: readerLogger,
                    component: component, target: id,
                    metricLabels: Shipper.metricLabels(id, discovered: spec.discovered))
            case .stopTarget(let id):
                let engine = engines.removeValue(forKey: id)!
                ended.append(id)
                if reconciler.desired.targets[id] == nil {
                    registry.removeSeries(labelled: engine.seriesLabels)
                    health.remove(engine.component)
                }
            case .startRecorder, .stopRecorder:
                continue
            }
        }
        guard !ended.isEmpty else { return }
        try perform(reconciler.stopped(targets: ended))
    }
}

extension EndToEndBenchmark {
    static func targetChurn(name: String, targets: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { _ in
            let configuration = try TargetChurnHarness.configuration()
            let indices = Array(0..<targets)
            let answers = [
                TargetChurnHarness.answer(indices),
                TargetChurnHarness.answer(indices.map { $0 % 10 == 0 ? targets + $0 : $0 }),
                TargetChurnHarness.answer(indices.map { 2 * targets + $0 }),
            ]
            /// One load, replace 10 %, replace all on a fresh registry and state: CPU seconds and
            /// allocations per step.
            func cycle() throws -> [(seconds: Double, allocations: UInt64)] {
                let harness = TargetChurnHarness(configuration: configuration)
                var steps: [(seconds: Double, allocations: UInt64)] = []
                for discovered in answers {
                    let start = Self.threadCPUSeconds()
                    let allocations = expvastic_thread_allocations()
                    try harness.take(discovered)
                    steps.append((Self.threadCPUSeconds() - start, expvastic_thread_allocations() - allocations))
                    precondition(harness.engines.count == targets)
                }
                precondition(harness.reconciler.isSettled)
                return steps
            }
            // The median of a few cycles: one cycle varies by tens of percent on a shared machine.
            var cycles: [[(seconds: Double, allocations: UInt64)]] = []
            for _ in 0..<5 { cycles.append(try cycle()) }
            func median(_ step: Int) -> Double { cycles.map { $0[step].seconds }.median }
            func perTarget(_ step: Int) -> Double {
                Double(cycles.map { $0[step].allocations }.sorted()[cycles.count / 2]) / Double(targets)
            }
            return [
                TargetChurnResult(
                    name: name, targets: targets, loadSeconds: median(0), reconcileTenthSeconds: median(1),
                    reconcileAllSeconds: median(2), loadAllocations: perTarget(0), reconcileAllAllocations: perTarget(2)
                )
            ]
        }
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Replacing every one of N discovered targets (the bookkeeping of ``TargetChurnHarness``: N
/// engines stopped and released, N made and started), as a micro benchmark: per target replaced,
/// and under callgrind (`--calls K` minus `--calls 0`) in instructions, which do not swing with the
/// machine as `discovery-load-N`'s CPU does.
enum TargetChurnBenchmarks {
    static func replaceAll(name: String, targets: Int) -> Benchmark {
        Benchmark(
            name: name, unit: "us/target", itemsPerCall: targets,
            setUp: { _ in
                let harness = TargetChurnHarness(configuration: try TargetChurnHarness.configuration())
                // Two sets, in turn: each call replaces all.
                let answers = [
                    TargetChurnHarness.answer(0..<targets), TargetChurnHarness.answer(targets..<2 * targets),
                ]
                try harness.take(answers[0])
                var next = 1
                return {
                    do {
                        try harness.take(answers[next])
                    } catch {
                        preconditionFailure("\(name): \(error)")
                    }
                    precondition(harness.engines.count == targets && harness.reconciler.isSettled)
                    next = 1 - next
                }
            })
    }
}
