import AllocationCounter
import Expvastic
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Heap bytes per discovered target, in this process (glibc's `mallinfo2`: bytes in use), in the
/// steps the shipper takes: the desired state built from N discovered targets, a reader and an
/// engine made per target (as `Shipper` makes them, not run), and one poll's body (the 4 KB Go
/// body) read by each reader (what a reader remembers between polls).
struct TargetMemoryResult: ResultRow {
    var name: String
    var targets: Int
    var desiredBytes: Int
    /// Readers alone (a part of `componentBytes`).
    var readerBytes: Int
    var componentBytes: Int
    var polledBytes: Int

    func perTarget(_ bytes: Int) -> Double { Double(bytes) / Double(targets) }

    var tableRow: String {
        let f = Benchmarks.fmt
        return Benchmarks.pad(name, 22)
            + "heap bytes per target: desired state \(f(perTarget(desiredBytes), 0)), reader + engine "
            + "\(f(perTarget(componentBytes), 0)) (reader \(f(perTarget(readerBytes), 0))), after one poll \(f(perTarget(polledBytes), 0)) "
            + "(total \(f(perTarget(desiredBytes + componentBytes + polledBytes), 0)); \(targets) targets; "
            + "a DesiredState.Target is \(MemoryLayout<DesiredState.Target>.size) bytes inline)"
    }

    var jsonLine: String {
        let f = Benchmarks.fmt
        return "{\"name\": \"\(name)\", \"unit\": \"heap_bytes_per_target\", \"targets\": \(targets), "
            + "\"desired_state\": \(f(perTarget(desiredBytes), 0)), \"reader_and_engine\": "
            + "\(f(perTarget(componentBytes), 0)), \"reader\": \(f(perTarget(readerBytes), 0)), \"after_one_poll\": \(f(perTarget(polledBytes), 0))}"
    }
}

extension EndToEndBenchmark {
    static func targetMemory(name: String, targets: Int) -> EndToEndBenchmark {
        EndToEndBenchmark(name: name) { environment in
            func inUse() -> Int { Int(expvastic_heap_bytes_in_use()) }
            guard let data = FileManager.default.contents(atPath: environment.fixture) else {
                throw BenchmarkError(description: "cannot read \(environment.fixture)")
            }
            let body = [UInt8](data)
            let configuration = try TargetChurnHarness.configuration(interval: "10s")
            let discovered = TargetChurnHarness.answer(0..<targets)
            let registry = MetricsRegistry()
            let clock = SystemClock()
            let factory = ComponentFactory.standard(
                transport: NoTransport(), clock: clock, registry: registry, samples: nil)
            let logger = Logger(component: "bench", level: .warn, handler: NoOpLogHandler())
            let start = inUse()
            let state = DesiredState(configuration: configuration, discovered: ["api": discovered])
            precondition(state.targets.count == targets)
            let afterDesired = inUse()
            var readers: [(TargetID, DesiredState.Target, any Reader)] = []
            readers.reserveCapacity(targets)
            for (id, target) in state.targets {
                let component = Shipper.component(id, discovered: true)
                readers.append((id, target, try factory.makeReader(target.reader, logger.child(component))))
            }
            let afterReaders = inUse()
            var engines: [Engine] = []
            engines.reserveCapacity(targets)
            for (id, target, reader) in readers {
                let component = Shipper.component(id, discovered: true)
                engines.append(
                    Engine(
                        reader: reader, interval: target.reader.interval, backoff: target.reader.backoff,
                        recorders: [], clock: clock, metrics: registry, logger: logger.child(component),
                        component: component, target: id,
                        metricLabels: Shipper.metricLabels(id, discovered: true)))
            }
            let afterComponents = inUse()
            var now: Int64 = 1_795_284_000_000_000_000
            for engine in engines {
                now += 1_000_000
                guard let reader = engine.reader as? ExpvarReader else { continue }
                _ = try reader.documents(fromBody: body, startedAtWallNanos: now)
            }
            let afterPoll = inUse()
            withExtendedLifetime((state, engines)) {}
            return [
                TargetMemoryResult(
                    name: name, targets: targets, desiredBytes: afterDesired - start,
                    readerBytes: afterReaders - afterDesired, componentBytes: afterComponents - afterDesired,
                    polledBytes: afterPoll - afterComponents)
            ]
        }
    }
}
