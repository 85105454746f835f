import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// A watchable source whose watch the test drives: a change, or a break.
final class WatchedFetcher: WatchableTargetFetcher {
    enum Command { case change, breakWatch }

    private struct State {
        var targets: [String]
        var version: Int64 = 1
        var fetches = 0
        var watchedFrom: [Int64] = []
        var commands: [Command] = []
    }

    private let state: Mutex<State>
    private let command = Wakeup()

    init(targets: [String]) { state = Mutex(State(targets: targets)) }

    var fetches: Int { state.withLock { $0.fetches } }
    var watchedFrom: [Int64] { state.withLock { $0.watchedFrom } }

    func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        state.withLock { state in
            state.fetches += 1
            return DiscoveryAnswer(targets: state.targets.map { DiscoveredTarget(address: $0) }, version: state.version)
        }
    }

    /// Changes the targets (a new version) and reports it on the watch.
    func set(_ targets: [String]) {
        state.withLock { state in
            state.targets = targets
            state.version += 1
        }
        send(.change)
    }

    func send(_ next: Command) {
        state.withLock { $0.commands.append(next) }
        command.signal()
    }

    func watch(after version: Int64, onChange: @escaping @Sendable () -> Void) async throws(DiscoveryError) {
        state.withLock { $0.watchedFrom.append(version) }
        while true {
            await command.wait()
            if Task.isCancelled { return }
            let commands = state.withLock { state in
                defer { state.commands = [] }
                return state.commands
            }
            for next in commands {
                switch next {
                case .change: onChange()
                case .breakWatch: throw DiscoveryError(code: "etcd_watch_unreachable", message: "the watch broke")
                }
            }
        }
    }
}

/// A watched source is asked again as soon as its watch reports a change, not at its refresh; a
/// broken watch makes the service ask again and watch from the new answer a second later. The
/// manual clock never reaches the refresh (60 s).
@Suite struct DiscoveryServiceWatchTests {
    @Test func aWatchedChangeIsFollowedAtOnceAndABrokenWatchIsMadeAgain() async throws {
        let clock = ManualClock()
        let fetcher = WatchedFetcher(targets: ["10.0.0.1:80"])
        let published = Mutex<[[String]]>([])
        var source = TargetSourceConfiguration.Etcd(prefix: "/targets/", endpoints: [])
        source.refresh = .seconds(60)
        let service = DiscoveryService(
            reader: "api", index: 0, source: .etcd(source), fetcher: fetcher, clock: clock,
            metrics: MetricsRegistry(),
            logger: Logger(component: "discovery.api.0.etcd", level: .debug, handler: InMemoryLogHandler()),
            onHealth: { _ in }, onTargets: { targets in published.withLock { $0.append(targets.map(\.address)) } })
        let run = Task { try await service.run() }
        // The first answer (version 1), then a watch from it.
        try await waitUntil { fetcher.watchedFrom == [1] }
        #expect(published.withLock { $0 } == [["10.0.0.1:80"]])
        // A put: published without the clock moving.
        fetcher.set(["10.0.0.1:80", "10.0.0.2:80"])
        try await waitUntil { published.withLock { $0.count } == 2 }
        #expect(published.withLock { $0.last } == ["10.0.0.1:80", "10.0.0.2:80"])
        #expect(fetcher.fetches == 2)
        // The watch breaks: the source is read again at once, and watched again (from the new
        // answer, version 2) a second later.
        fetcher.send(.breakWatch)
        try await waitUntil { fetcher.fetches == 3 && clock.sleeperCount == 2 }
        #expect(fetcher.watchedFrom == [1])
        clock.advance(by: DiscoveryService.watchRetry)
        try await waitUntil { fetcher.watchedFrom == [1, 2] }
        // A delete on the new watch.
        fetcher.set(["10.0.0.2:80"])
        try await waitUntil { published.withLock { $0.count } == 3 }
        #expect(published.withLock { $0.last } == ["10.0.0.2:80"])
        run.cancel()
        _ = await run.result
    }
}
