import Foundation

/// Debian's dnsmasq on 127.0.0.1:`port` serving only the records given (no upstream, no
/// /etc/hosts), TTL 1 s. ``restart(arguments:)`` replaces the records on the same port.
public final class Dnsmasq: Sendable {
    public let port: Int
    private let process: RunningProcess

    /// Starts dnsmasq with `records` (`--srv-host=…`, `--host-record=…`) and waits until it runs.
    public static func start(port: Int, records: [String]) async throws -> Dnsmasq {
        guard let binary = ExecutableSearch.find("dnsmasq", extraDirectories: ["/usr/sbin", "/sbin"]) else {
            throw TestSupportError(
                .binaryMissing, "dnsmasq not found: install dnsmasq-base (scripts/deps.sh ensure_dnsmasq)")
        }
        let process = try RunningProcess(
            executable: binary,
            arguments: [
                "--port=\(port)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-daemon", "--no-resolv",
                "--no-hosts", "--log-facility=-", "--local-ttl=1", "--pid-file=",
            ] + records)
        _ = try await process.waitForStderr(containing: "started, version")
        return Dnsmasq(port: port, process: process)
    }

    private init(port: Int, process: RunningProcess) {
        self.port = port
        self.process = process
    }

    /// Stops the server (SIGTERM, then SIGKILL after the grace period) and waits for it.
    public func stop() async {
        _ = await process.terminate()
    }

    deinit { process.stop() }
}
