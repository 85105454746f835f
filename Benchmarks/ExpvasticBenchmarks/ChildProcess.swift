import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process the end-to-end benchmark starts (fixture server, `expvasyml`, the reference), with
/// its CPU time and memory read from `/proc/<pid>` — that process alone, not its parent.
final class ChildProcess {
    let name: String
    private let process = Process()
    private let output = Pipe()
    private let input = Pipe()

    /// Starts `executable`; stderr goes to `logFile` (or is discarded), stdout is kept for
    /// ``firstLine(timeoutSeconds:)``.
    init(
        name: String, executable: String, arguments: [String], directory: String? = nil, logFile: String? = nil,
        environment: [String: String]? = nil
    ) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardInput = input
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logFile)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        // Children inherit the spawning thread's signal mask, and Swift's cooperative threads block
        // most signals; a child started from a shell has none blocked (the reference relies on
        // SIGTERM). Unblock everything on this thread while spawning.
        var everything = sigset_t()
        var previous = sigset_t()
        sigemptyset(&everything)
        pthread_sigmask(SIG_SETMASK, &everything, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do {
            try process.run()
        } catch {
            throw BenchmarkError(description: "cannot start \(name) (\(executable)): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The first line the process prints, waiting at most `timeoutSeconds`.
    func firstLine(timeoutSeconds: Double) throws -> String {
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let newline = collected.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: collected[..<newline], as: UTF8.self)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw BenchmarkError(description: "\(name) printed nothing in time") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw BenchmarkError(description: "\(name) exited before it was ready") }
            collected += chunk[0..<count]
        }
    }

    /// User plus system CPU seconds so far, of all of the process's threads (those that exited
    /// included), nil once gone. Read from the process's CPU clock (`clock_getcpuclockid`, to the
    /// nanosecond): `/proc/<pid>/stat` counts in ticks of 10 ms, which at one reader is 8 µs per
    /// poll of a 25 s window — a few per cent of what is measured. The ticks are the fallback.
    func cpuSeconds() -> Double? {
        var clock = clockid_t()
        var spec = timespec()
        if clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &spec) == 0 {
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        }
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "comm)" start at field 3 (state); utime is field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Voluntary and involuntary context switches of every live thread (`/proc/<pid>/task/*/status`;
    /// a thread that has exited takes its counts with it), nil once gone. Voluntary ones are the
    /// process's own waits (its wake-ups); involuntary ones are preemptions, which depend on what
    /// else the machine runs.
    func contextSwitches() -> (voluntary: Int, involuntary: Int)? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var voluntary = 0
        var involuntary = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            else { continue }
            for line in text.split(separator: "\n") {
                if line.hasPrefix("voluntary_ctxt_switches:") {
                    voluntary += Int(line.filter(\.isNumber)) ?? 0
                } else if line.hasPrefix("nonvoluntary_ctxt_switches:") {
                    involuntary += Int(line.filter(\.isNumber)) ?? 0
                }
            }
        }
        return (voluntary, involuntary)
    }

    /// A `kB` line of `/proc/<pid>/status` (`VmHWM`, `VmRSS`) in bytes.
    func status(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let number = line.dropFirst(key.count + 1).filter(\.isNumber)
            return Int(number).map { $0 * 1024 }
        }
        return nil
    }

    /// SIGTERM, then SIGKILL after `graceSeconds`; returns the exit status (nil when killed).
    @discardableResult
    func stop(graceSeconds: Double = 15) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}
