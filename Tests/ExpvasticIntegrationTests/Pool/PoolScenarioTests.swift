import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The pool end to end: a real 3-member etcd cluster, real `expvasyml` members sharing 480 targets
/// (one Go program serving `/t/<n>/debug/vars`) into osmem-server, interval 1 s, lease_ttl 3 s.
/// Steady state, a fourth member joining, `kill -9` of a member, SIGTERM of a member, the etcd
/// leader killed, and all of etcd stopped for 20 s. Each phase prints its figures; the index is the
/// witness (a slot of a target is missing when no document has it, doubled when two have it), read
/// whole with the scroll API (the index holds ~70,000 documents, past osmem's 10,000-hit window).
///
/// Why 480 targets: rendezvous hashing gives each of N members a binomial share, so with 60 targets
/// a member's share is outside ±30 % of 1/3 in 7.4 % of runs (22 % that one of three is). With 480
/// (mean 160, σ = √(480·⅓·⅔) = 10.3, ±30 % = ±48 = ±4.6 σ) the exact binomial tail is 2.7e-6 per
/// member, at most 8.2e-6 that any of the three is outside (union bound): the share assertion holds
/// for a fair hash in all but one run in 100,000, whatever port the Go program got.
///
/// Bounds: the kill -9 takeover (kill to the new owner's first poll, and the gap between the dead
/// member's last poll and the new owner's first, in intervals) is held to lease_ttl + one interval,
/// the issue's line, with no tolerance; the gap in the index, which also loses the polls the dead
/// member had not sent, is printed. A phase that should miss nothing may miss up to
/// 3 consecutive slots of a target (a starved process on a loaded 2-core machine). Nothing may ever
/// be doubled.
@Suite(.serialized) struct PoolScenarioTests {
    static let targetCount = 480
    static let interval: Int64 = 1_000_000_000
    static let leaseTTLSeconds = 3
    /// Slots a phase that should miss nothing may still miss in a row (a starved process).
    static let tolerableRun = 3

    final class Member: @unchecked Sendable {
        let name: String
        let process: RunningProcess
        let port: Int
        init(name: String, process: RunningProcess, port: Int) {
            self.name = name
            self.process = process
            self.port = port
        }

        /// The endpoints of job `api` this member polls now.
        func polled() async throws -> Set<String> {
            let response = try await HTTPGet.get(
                URL(string: "http://127.0.0.1:\(port)/api/v1/targets?per_page=1000")!, timeout: .seconds(3))
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            let targets = object?["targets"] as? [[String: Any]] ?? []
            return Set(targets.filter { $0["job"] as? String == "api" }.compactMap { $0["endpoint"] as? String })
        }

        func vars() async throws -> [String: Any] {
            let response = try await HTTPGet.get(
                URL(string: "http://127.0.0.1:\(port)/debug/vars")!, timeout: .seconds(3))
            return try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        }

        func clusterHealth() async throws -> String? {
            let response = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(port)/healthz")!, timeout: .seconds(3))
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            return (object?["components"] as? [String: Any])?["cluster"] as? String
        }
    }

    final class Rig: @unchecked Sendable {
        let directory: URL
        let etcd: EtcdCluster
        let program: GoExpvarProgram
        let osmem: OsmemServer
        let endpoints: [String]
        var members: [String: Member] = [:]

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "expvastic-pool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            async let etcd = EtcdCluster(size: 3)
            async let program = GoExpvarProgram.start()
            async let osmem = OsmemServer()
            (self.etcd, self.program, self.osmem) = try await (etcd, program, osmem)
            let base = self.program.endpoint
            endpoints = (0..<PoolScenarioTests.targetCount).map {
                "http://\(base)/t/\(String(format: "%03d", $0))/debug/vars"
            }
        }

        deinit {
            for member in members.values { member.process.stop(grace: .milliseconds(200)) }
            program.stop()
            osmem.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        func configuration(member: String) -> String {
            """
            settings:
              log_level: info
              shutdown_timeout: 5s
              http:
                listen: 127.0.0.1:0
            cluster:
              etcd:
                endpoints: [\(etcd.clientURLs.joined(separator: ", "))]
              prefix: /expvastic/scenario/
              member: \(member)
              lease_ttl: \(PoolScenarioTests.leaseTTLSeconds)s
            readers:
              api:
                type: expvar
                type_name: pooltest
                interval: 1s
                timeout: 800ms
                targets:
                  - static: [\(endpoints.joined(separator: ", "))]
            recorders:
              es:
                type: elasticsearch
                endpoint: \(osmem.endpoint.host):\(osmem.endpoint.port)
                index_name: pool
                flush_interval: 50ms
                wal: false
                spool_dir: \(directory.appendingPathComponent("spool-\(member)").path)
            routes:
              all:
                readers: [api]
                recorders: [es]
            """
        }

        @discardableResult
        func start(_ name: String) async throws -> Member {
            let path = directory.appendingPathComponent("\(name).yml").path
            try configuration(member: name).write(toFile: path, atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", path])
            let line = try await process.waitForStderr(containing: "http.port=", timeout: .seconds(30))
            let port = try #require(Int(line[line.range(of: "http.port=")!.upperBound...].prefix { $0.isNumber }))
            let member = Member(name: name, process: process, port: port)
            members[name] = member
            return member
        }

        /// The share rendezvous hashing gives each of `names`.
        func expected(_ names: [String]) -> [String: Set<String>] {
            var shares: [String: Set<String>] = Dictionary(uniqueKeysWithValues: names.map { ($0, []) })
            for endpoint in endpoints {
                let owner = Rendezvous.owner(of: TargetID(reader: "api", endpoint: endpoint), among: names)!
                shares[owner]!.insert(endpoint)
            }
            return shares
        }

        /// Waits until each member in `names` polls exactly its rendezvous share; returns the shares.
        @discardableResult
        func converged(_ names: [String], timeout: Duration = .seconds(30)) async throws -> [String: Set<String>] {
            let want = expected(names)
            var last: [String: Int] = [:]
            do {
                try await eventually("pool of \(names) converged", timeout: timeout, interval: .milliseconds(250)) {
                    for name in names {
                        let polled = try await members[name]!.polled()
                        last[name] = polled.count
                        if polled != want[name] { return false }
                    }
                    return true
                }
            } catch {
                print("pool: not converged: polled \(last), want \(want.mapValues(\.count))")
                for name in names { print("--- \(name) stderr:\n" + members[name]!.process.stderr.suffix(3000)) }
                throw error
            }
            return want
        }
    }

    /// A phase of the run, in wall milliseconds.
    struct Window {
        var name: String
        var start: Int64
        var end: Int64
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Slot of `endpoint` whose interval holds wall time `nanos` (its grid: interval 1 s, the target's phase).
    static func slot(endpoint: String, nanos: Int64) -> Int64 {
        let phase = Int64(StableHash.mixed64("api", endpoint) % UInt64(interval))
        return (nanos - phase) / interval
    }

    /// Slot of a document of `endpoint` polled at `millis` (a phase boundary, in wall milliseconds).
    static func slot(endpoint: String, millis: Int64) -> Int64 {
        slot(endpoint: endpoint, nanos: millis * 1_000_000)
    }

    /// What the index holds: per endpoint, how many documents for each slot, and every document's
    /// time.
    struct Indexed {
        var slots: [String: [Int64: Int]] = [:]
        /// Every document's time and the Go program's count of requests to its target at that poll.
        var times: [String: [(millis: Int64, hits: Int)]] = [:]
        /// Documents whose `_id` is not the slot id of the interval their `@timestamp` falls in.
        var idMismatches = 0
        var documents = 0
    }

    /// Reads every document with the scroll API (5,000 a page) and checks the total against `_count`.
    /// A document's slot is the interval its `@timestamp` (milliseconds, truncated) falls in; when a
    /// tick lies inside that millisecond, its `_id` (slot-based) tells which side it is on.
    static func indexed(_ osmem: OsmemServer) async throws -> Indexed {
        _ = try await osmem.json("/pool/_refresh", method: "POST")
        let total = try await osmem.count(index: "pool")
        var result = Indexed()
        var page = try await osmem.json(
            "/pool/_search?scroll=1m", method: "POST",
            body: Array(#"{"size":5000,"_source":["endpoint","@timestamp","hits"]}"#.utf8))
        while true {
            let hits = (page["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
            if hits.isEmpty { break }
            for hit in hits {
                guard let id = hit["_id"] as? String, let source = hit["_source"] as? [String: Any],
                    let endpoint = source["endpoint"] as? String, let stamp = source["@timestamp"] as? String,
                    let millis = RFC3339.parse(stamp)
                else { continue }
                result.documents += 1
                let first = slot(endpoint: endpoint, nanos: millis * 1_000_000)
                let last = slot(endpoint: endpoint, nanos: millis * 1_000_000 + 999_999)
                func slotID(_ index: Int64) -> String {
                    DocumentID.make(
                        reader: "api", endpoint: endpoint, slot: PollSlot(index: index, intervalNanos: UInt64(interval))
                    )
                }
                let index = first != last && slotID(last) == id ? last : first
                if slotID(index) != id { result.idMismatches += 1 }
                result.slots[endpoint, default: [:]][index, default: 0] += 1
                result.times[endpoint, default: []].append((millis, (source["hits"] as? NSNumber)?.intValue ?? 0))
            }
            guard let scroll = page["_scroll_id"] as? String else { break }
            page = try await osmem.json(
                "/_search/scroll", method: "POST",
                // A scroll id is base64: nothing to escape.
                body: Array("{\"scroll\":\"1m\",\"scroll_id\":\"\(scroll)\"}".utf8))
        }
        if result.documents != total {
            throw Failure(description: "scrolled \(result.documents) documents, _count says \(total)")
        }
        for endpoint in result.times.keys { result.times[endpoint]!.sort { $0.millis < $1.millis } }
        return result
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Missing slots and the longest run of missing slots of `endpoints` inside `window` (the slots
    /// strictly inside it).
    static func gaps(
        _ slots: [String: [Int64: Int]], _ endpoints: some Sequence<String>, _ window: Window
    ) -> (missing: Int, longestRun: Int, slots: Int) {
        var missing = 0
        var longest = 0
        var total = 0
        for endpoint in endpoints {
            let first = slot(endpoint: endpoint, millis: window.start) + 1
            let last = slot(endpoint: endpoint, millis: window.end) - 1
            guard first <= last else { continue }
            var run = 0
            for index in first...last {
                total += 1
                if slots[endpoint]?[index] == nil {
                    missing += 1
                    run += 1
                    longest = max(longest, run)
                } else {
                    run = 0
                }
            }
        }
        return (missing, longest, total)
    }

    @Test(.timeLimit(.minutes(5))) func aPoolSharesTargetsAndSurvivesJoinsKillsAndEtcdOutages() async throws {
        let began = ContinuousClock.now
        let rig = try await Rig()
        var windows: [Window] = []
        var failures: [String] = []

        // Steady state: three members.
        for name in ["m1", "m2", "m3"] { try await rig.start(name) }
        let three = try await rig.converged(["m1", "m2", "m3"])
        let steadyStart = Self.nowMillis()
        // The issue's steady state: 60 s in which every (target, slot) must be indexed exactly once.
        try await Task.sleep(for: .seconds(60))
        windows.append(Window(name: "steady", start: steadyStart, end: Self.nowMillis()))
        // Each member's share within ±30 % of 1/3 (see the suite's comment for the probability).
        let ideal = Double(Self.targetCount) / 3
        let shares = ["m1", "m2", "m3"].map { three[$0]!.count }
        let worst = shares.map { abs(Double($0) - ideal) / ideal }.max()!
        print(
            "pool steady: shares \(shares) of \(Self.targetCount) (ideal \(Int(ideal)) each), worst "
                + "\(String(format: "%+.1f", worst * 100)) % off (allowed ±30 %)")
        #expect(worst <= 0.3, "shares \(shares)")
        for name in ["m1", "m2", "m3"] {
            let owned = try await rig.members[name]!.vars()["cluster.owned_targets"] as? Double
            #expect(owned.map(Int.init) == three[name]!.count, "\(name) cluster.owned_targets")
            #expect(try await rig.members[name]!.vars()["cluster.members"] as? Double == 3)
        }

        let m1 = rig.members["m1"]!
        let metrics = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(m1.port)/metrics")!).text
        #expect(metrics.contains("expvastic_cluster_members 3.0"))
        #expect(metrics.contains("expvastic_cluster_owned_targets \(Double(three["m1"]!.count))"))
        #expect(metrics.contains("expvastic_cluster_etcd_errors_total 0"))
        let page = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(m1.port)/api/v1/targets")!)
        let pool = try JSONSerialization.jsonObject(with: page.body) as? [String: Any]
        let listed = (pool?["pool"] as? [String: Any])?["members"] as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["name"] as? String } == ["m1", "m2", "m3"])
        let owners = Set((pool?["targets"] as? [[String: Any]] ?? []).map { $0["owner"] as? String })
        #expect(owners == ["m1"])
        #expect(listed.compactMap { $0["targets"] as? Int } == ["m1", "m2", "m3"].map { three[$0]!.count })
        let statusPage = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(m1.port)/")!).text
        #expect(statusPage.contains("m1 <small>(this process)</small>") && !statusPage.contains("not in a pool"))

        // A fourth member joins: only the targets the hash gives it move, all to it.
        let joinStart = Self.nowMillis()
        try await rig.start("m4")
        let four = try await rig.converged(["m1", "m2", "m3", "m4"])
        windows.append(Window(name: "join", start: joinStart, end: Self.nowMillis()))
        var moved = 0
        var movedBetweenOld = 0
        for endpoint in rig.endpoints {
            let before = three.first { $0.value.contains(endpoint) }!.key
            let after = four.first { $0.value.contains(endpoint) }!.key
            if before != after {
                moved += 1
                if after != "m4" { movedBetweenOld += 1 }
            }
        }
        print(
            "pool join: \(moved) targets moved (ideal \(Self.targetCount / 4)), \(movedBetweenOld) between old members")
        #expect(moved == four["m4"]!.count)
        #expect(movedBetweenOld == 0)

        // kill -9 of m2: the others take its targets over once its lease expires.
        print("pool four members: shares \(["m1", "m2", "m3", "m4"].map { four[$0]!.count })")
        let killed = four["m2"]!
        rig.members["m2"]!.process.signal(SIGKILL)
        // After the signal: every document stamped later is a new owner's.
        let killStart = Self.nowMillis()
        try await rig.converged(["m1", "m3", "m4"])
        try await Task.sleep(for: .seconds(2))
        let killWindow = Window(name: "kill -9", start: killStart - 1_000, end: Self.nowMillis())

        // SIGTERM of m3: it leaves at once and polls on until the others have taken over.
        let terminated = rig.expected(["m1", "m3", "m4"])["m3"]!
        let termStart = Self.nowMillis()
        rig.members["m3"]!.process.signal(SIGTERM)
        let m3Exit = try await rig.members["m3"]!.process.waitForExit(timeout: .seconds(20))
        #expect(m3Exit == 0)
        if m3Exit != 0 {
            print(
                "--- m3 exit \(String(describing: m3Exit)), stderr:\n" + rig.members["m3"]!.process.stderr.suffix(6000))
        }
        try await rig.converged(["m1", "m4"])
        try await Task.sleep(for: .seconds(1))
        let termWindow = Window(name: "SIGTERM", start: termStart, end: Self.nowMillis())

        // The etcd leader is killed: the pool goes on.
        let rebalancesBefore = try await rig.members["m1"]!.vars()["cluster.rebalances"] as? Double ?? -1
        let leader = try #require(await rig.etcd.leader())
        let leaderStart = Self.nowMillis()
        await rig.etcd.kill(leader)
        try await Task.sleep(for: .seconds(5))
        try rig.etcd.restart(leader)
        try await rig.etcd.waitForLeader()
        try await rig.converged(["m1", "m4"])
        windows.append(Window(name: "etcd leader killed", start: leaderStart, end: Self.nowMillis()))
        let rebalancesAfter = try await rig.members["m1"]!.vars()["cluster.rebalances"] as? Double ?? -1
        print(
            "pool etcd leader (member \(leader)) killed: m1 rebalances \(Int(rebalancesBefore)) -> \(Int(rebalancesAfter))"
        )

        // All of etcd stopped for 20 s: every member keeps polling its share, reports degraded,
        // and the pool converges again when etcd is back.
        let outageStart = Self.nowMillis()
        for index in 0..<3 { await rig.etcd.kill(index) }
        try await Task.sleep(for: .seconds(8))
        for name in ["m1", "m4"] {
            #expect(try await rig.members[name]!.clusterHealth() == "degraded", "\(name) /healthz during the outage")
            #expect(try await rig.members[name]!.polled() == rig.expected(["m1", "m4"])[name]!)
        }
        try await Task.sleep(for: .seconds(12))
        let outageEnd = Self.nowMillis()
        for index in 0..<3 { try rig.etcd.restart(index) }
        try await rig.etcd.waitForLeader()
        try await rig.converged(["m1", "m4"])
        for name in ["m1", "m4"] {
            try await eventually("\(name) cluster ok", timeout: .seconds(20), interval: .milliseconds(250)) {
                try await rig.members[name]!.clusterHealth() == "ok"
            }
        }
        try await Task.sleep(for: .seconds(2))
        windows.append(Window(name: "etcd stopped 20 s", start: outageStart, end: outageEnd))
        windows.append(Window(name: "etcd back", start: outageEnd, end: Self.nowMillis()))

        for name in ["m1", "m4"] { rig.members[name]!.process.signal(SIGTERM) }
        for name in ["m1", "m4"] {
            let status = try await rig.members[name]!.process.waitForExit(timeout: .seconds(20))
            #expect(status == 0, "\(name) exit")
            if status != 0 {
                print(
                    "--- \(name) exit \(String(describing: status)), stderr:\n"
                        + rig.members[name]!.process.stderr.suffix(4000))
            }
        }

        // The index: nothing doubled anywhere; the figures of each phase.
        let index = try await Self.indexed(rig.osmem)
        let slots = index.slots
        let doubled = slots.values.reduce(0) { $0 + $1.values.count { $0 > 1 } }
        print(
            "pool index: \(index.documents) documents for \(slots.count) targets, \(doubled) (target, slot) doubled, "
                + "\(index.idMismatches) ids not of their timestamp's slot")
        #expect(doubled == 0)
        #expect(slots.count == Self.targetCount)
        for window in windows {
            let (missing, run, total) = Self.gaps(slots, rig.endpoints, window)
            print("pool \(window.name): \(missing) of \(total) slots missing, longest run \(run)")
            if run > Self.tolerableRun { failures.append("\(window.name): \(run) slots missing in a row") }
        }
        // kill -9, per killed target: the time from the kill to the new owner's first poll; the gap
        // between the dead member's last poll and that one, in intervals; and the gap in the index.
        // The last two differ by the documents the dead member had polled but not sent when it died:
        // the Go program counts the requests to each target (`hits` in each document), so the
        // requests between the last document before the kill and the first after are those polls.
        let kill = Self.gaps(slots, killed, killWindow)
        let bound = Double(Self.leaseTTLSeconds) + Double(Self.interval) / 1e9
        let seconds = Double(Self.interval) / 1e9
        var takeovers: [Double] = []
        var pollGaps: [Double] = []
        var indexGaps: [Double] = []
        var unsent = 0
        for endpoint in killed {
            let times = index.times[endpoint] ?? []
            guard let after = times.first(where: { $0.millis > killStart }),
                let before = times.last(where: { $0.millis <= killStart })
            else {
                failures.append("kill -9: \(endpoint) has no document on one side of the kill")
                continue
            }
            takeovers.append(Double(after.millis - killStart) / 1000)
            let lastSlot = Self.slot(endpoint: endpoint, millis: before.millis)
            let firstSlot = slots[endpoint]!.keys.filter { $0 > lastSlot }.min() ?? lastSlot
            let lost = max(0, after.hits - before.hits - 1)
            unsent += lost
            indexGaps.append(Double(firstSlot - lastSlot) * seconds)
            pollGaps.append(Double(firstSlot - lastSlot - Int64(lost)) * seconds)
        }
        takeovers.sort()
        let worstTakeover = takeovers.last ?? .infinity
        let worstPollGap = pollGaps.max() ?? .infinity
        let worstIndexGap = indexGaps.max() ?? .infinity
        print(
            "pool kill -9: \(killed.count) targets; kill to first poll by the new owner: median "
                + "\(String(format: "%.2f", takeovers[takeovers.count / 2])) s, worst \(String(format: "%.2f", worstTakeover)) s; "
                + "worst gap between polls per target \(String(format: "%.0f", worstPollGap)) s "
                + "(\(pollGaps.count { $0 == worstPollGap }) targets at it); bound lease_ttl + interval = "
                + "\(String(format: "%.0f", bound)) s. In the index: \(kill.missing) slots missed (longest run "
                + "\(kill.longestRun)), worst gap \(String(format: "%.0f", worstIndexGap)) s, of which \(unsent) "
                + "polls the dead member had not sent")
        if worstTakeover > bound {
            failures.append("kill -9: a target was polled again \(worstTakeover) s after the kill")
        }
        if worstPollGap > bound { failures.append("kill -9: \(worstPollGap) s between two polls of a target") }
        let term = Self.gaps(slots, terminated, termWindow)
        print("pool SIGTERM: \(terminated.count) targets, \(term.missing) slots missed, longest run \(term.longestRun)")
        if term.longestRun > Self.tolerableRun { failures.append("SIGTERM: \(term.longestRun) slots missing in a row") }
        #expect(failures.isEmpty, "\(failures)")
        print("pool scenario took \(ContinuousClock.now - began)")
    }
}
