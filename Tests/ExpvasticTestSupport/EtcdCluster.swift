import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's `etcd` (3.4) as a cluster of `size` members on 127.0.0.1, ports picked at run time, data
/// in a temporary directory. Members can be killed (`SIGKILL`) and started again on the same ports
/// and data, one at a time or all together.
public final class EtcdCluster: @unchecked Sendable {
    /// One member's ports.
    public struct Member: Sendable {
        public var name: String
        public var clientPort: Int
        public var peerPort: Int
        public var clientURL: String { "http://127.0.0.1:\(clientPort)" }
    }

    public let members: [Member]
    public let directory: URL
    private let binary: URL
    private let lock = NSLock()
    private var processes: [RunningProcess?]

    /// Starts the members and waits until the cluster answers with a leader. A member that ends
    /// while the cluster starts (a picked port taken meanwhile by another process) starts the
    /// cluster again on fresh ports, up to three times; the error then carries its stderr.
    public init(size: Int = 1) async throws {
        guard let binary = ExecutableSearch.find("etcd", extraDirectories: ["/usr/bin"]) else {
            throw TestSupportError(.binaryMissing, "etcd not found: install etcd-server (scripts/deps.sh ensure_etcd)")
        }
        var attempt = 1
        while true {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "expvastic-etcd-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var members: [Member] = []
            for index in 0..<size {
                members.append(
                    Member(name: "e\(index)", clientPort: try FreePort.pick(), peerPort: try FreePort.pick()))
            }
            let processes = try members.indices.map {
                try Self.launch(binary, members, $0, directory: directory, state: "new")
            }
            do {
                try await Self.waitForLeader(members, processes, timeout: .seconds(30))
                self.binary = binary
                self.directory = directory
                self.members = members
                self.processes = processes
                return
            } catch {
                for process in processes { _ = await process.terminate(grace: .milliseconds(200)) }
                try? FileManager.default.removeItem(at: directory)
                guard (error as? TestSupportError)?.code == .unexpectedOutput, attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    deinit {
        for process in processes { process?.stop(grace: .milliseconds(200)) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Every client URL, comma-separated-ready.
    public var clientURLs: [String] { members.map(\.clientURL) }

    /// Kills member `index` with SIGKILL and waits for it to end.
    public func kill(_ index: Int) async {
        let process = lock.withLock { () -> RunningProcess? in
            defer { processes[index] = nil }
            return processes[index]
        }
        process?.signal(SIGKILL)
        _ = try? await process?.waitForExit(timeout: .seconds(5))
    }

    /// Starts member `index` again (same ports, same data).
    public func restart(_ index: Int) throws {
        let process = try Self.launch(binary, members, index, directory: directory, state: "existing")
        lock.withLock { processes[index] = process }
    }

    private static func launch(
        _ binary: URL, _ members: [Member], _ index: Int, directory: URL, state: String
    ) throws -> RunningProcess {
        let member = members[index]
        let cluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        return try RunningProcess(
            executable: binary,
            arguments: [
                "--name", member.name, "--data-dir", directory.appendingPathComponent(member.name).path,
                "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
                "--listen-peer-urls", "http://127.0.0.1:\(member.peerPort)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(member.peerPort)",
                "--initial-cluster", cluster, "--initial-cluster-state", state,
                "--initial-cluster-token", directory.lastPathComponent, "--log-level", "error", "--logger", "zap",
            ])
    }

    /// The index of the member that is leader now, as the running members report it; nil when
    /// none reports one.
    public func leader() async -> Int? {
        var ids: [String: Int] = [:]
        var leader: String?
        for (index, member) in members.enumerated() where lock.withLock({ processes[index] != nil }) {
            guard let status = try? await Self.post(member, "/v3/maintenance/status", "{}"),
                let header = status["header"] as? [String: Any], let id = header["member_id"] as? String
            else { continue }
            ids[id] = index
            if let reported = status["leader"] as? String, reported != "0" { leader = reported }
        }
        return leader.flatMap { ids[$0] }
    }

    /// Waits until a running member reports a leader (and answers a range).
    public func waitForLeader(timeout: Duration = .seconds(30)) async throws {
        let running = lock.withLock { members.indices.compactMap { index in processes[index].map { (index, $0) } } }
        try await Self.waitForLeader(running.map { members[$0.0] }, running.map(\.1), timeout: timeout)
    }

    /// Waits until one of `members` answers a range; throws `.unexpectedOutput` with the member's
    /// stderr as soon as one of `processes` (the members' own) has ended.
    private static func waitForLeader(
        _ members: [Member], _ processes: [RunningProcess], timeout: Duration
    ) async throws {
        enum Outcome { case answered, ended(String) }
        let outcome = try await eventuallyValue("etcd leader", timeout: timeout, interval: .milliseconds(100)) {
            () async -> Outcome? in
            for (member, process) in zip(members, processes) {
                if let termination = process.termination {
                    return .ended(
                        "etcd member \(member.name) (client port \(member.clientPort), peer port \(member.peerPort)) "
                            + "ended (\(termination)) while the cluster started; stderr: \(process.stderr.suffix(1500))"
                    )
                }
                if let answer = try? await post(member, "/v3/kv/range", "{\"key\":\"AA==\"}"), answer["header"] != nil {
                    return .answered
                }
            }
            return nil
        }
        if case .ended(let reason) = outcome { throw TestSupportError(.unexpectedOutput, reason) }
    }

    /// Posts a JSON body to member `member`'s gateway; the decoded answer.
    public static func post(_ member: Member, _ path: String, _ body: String) async throws -> [String: Any] {
        let response = try await HTTPGet.send(
            "POST", URL(string: member.clientURL + path)!, body: Data(body.utf8), timeout: .seconds(3))
        guard let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            throw TestSupportError(.unexpectedOutput, "\(path): not a JSON object")
        }
        return object
    }
}
