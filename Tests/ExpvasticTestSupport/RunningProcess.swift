import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started by a test: stdout and stderr are captured live into thread-safe buffers,
/// the test can send it signals and wait, with a deadline, for output or for the exit.
///
/// The child is killed (`SIGKILL`) when the last reference goes away, so a failing test does not
/// leave processes behind.
public final class RunningProcess: Sendable {
    /// What the child reads on standard input.
    public enum Input: Sendable {
        /// `/dev/null`.
        case none
        /// These bytes, then end of file.
        case data(Data)
        /// A pipe that stays open until ``closeInput()`` or the end of this object; for children that
        /// exit when their standard input closes (they then die with the test process).
        case pipe
    }

    /// How the child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// `exit(status)`.
        case exited(Int32)
        /// Killed by this signal.
        case signalled(Int32)

        /// The shell's convention: the exit status, or 128 + the signal number.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signalled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    /// The program that runs.
    public let executable: URL
    /// Its arguments (without the program name).
    public let arguments: [String]
    /// Its process id.
    public let pid: Int32

    private let monitor: ProcessMonitor
    private let input: Mutex<FileHandle?>

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: variables added to (or replacing) the inherited environment.
    ///   - inheritEnvironment: `false` starts from an empty environment.
    ///   - input: what the child reads on standard input.
    ///   - currentDirectory: the child's working directory (default: the test process's).
    public init(
        executable: URL,
        arguments: [String] = [],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        input: Input = .none,
        currentDirectory: URL? = nil
    ) throws {
        let monitor = ProcessMonitor()
        var fullEnvironment = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        fullEnvironment.merge(environment) { _, new in new }
        let child = try ChildSpawn.launch(
            executable: executable.path,
            arguments: arguments,
            environment: fullEnvironment,
            currentDirectory: currentDirectory?.path,
            pipeStdin: { if case .none = input { false } else { true } }()
        ) { status in
            let (exited, value) = ChildSpawn.decode(status)
            monitor.update { $0.termination = exited ? .exited(value) : .signalled(value) }
        }
        self.executable = executable
        self.arguments = arguments
        self.pid = child.pid
        self.monitor = monitor
        Self.drain(child.stdout, into: \.stdout, closed: \.stdoutClosed, monitor: monitor)
        Self.drain(child.stderr, into: \.stderr, closed: \.stderrClosed, monitor: monitor)

        let writer = child.stdin.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        switch input {
        case .data(let bytes):
            self.input = Mutex(nil)
            if let writer {
                // On its own thread: a child that does not read would otherwise block the test.
                Thread.detachNewThread {
                    try? writer.write(contentsOf: bytes)
                    try? writer.close()
                }
            }
        case .pipe: self.input = Mutex(writer)
        case .none: self.input = Mutex(nil)
        }
    }

    deinit {
        if monitor.snapshot().termination == nil { kill(pid, SIGKILL) }
        try? input.withLock { $0 }?.close()
    }

    /// Everything the child wrote on stdout so far.
    public var stdout: String { String(decoding: monitor.snapshot().stdout, as: UTF8.self) }
    /// Everything the child wrote on stderr so far.
    public var stderr: String { String(decoding: monitor.snapshot().stderr, as: UTF8.self) }
    /// How the child ended, or `nil` while it runs.
    public var termination: Termination? { monitor.snapshot().termination }
    /// Whether the child is still running.
    public var isRunning: Bool { termination == nil }

    /// Sends `signal` (`SIGTERM`, `SIGKILL`, `SIGHUP`, …) to the child, unless it already ended.
    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Closes the child's standard input (only meaningful with `Input.pipe`).
    public func closeInput() {
        let handle = input.withLock { handle -> FileHandle? in
            defer { handle = nil }
            return handle
        }
        try? handle?.close()
    }

    /// Waits until the child ends and returns its status (exit status, or 128 + signal). Throws a
    /// `.timeout` error (and leaves the child running) when `timeout` passes first.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        let snapshot = try await monitor.wait(until: { $0.termination != nil }, timeout: timeout) {
            "\(self.executable.lastPathComponent) (pid \(self.pid)) did not exit within \(timeout); "
                + "stderr so far: \(self.stderrTail)"
        }
        return snapshot.termination?.status ?? -1
    }

    /// Waits until the child's stderr contains `text`, and returns all of stderr so far. Throws a
    /// `.timeout` error when `timeout` passes first, and `.unexpectedOutput` if the child exits first.
    @discardableResult
    public func waitForStderr(containing text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitForOutput(\.stderr, name: "stderr", containing: text, timeout: timeout)
    }

    /// Waits until the child's stdout contains `text`, and returns all of stdout so far. Throws like
    /// ``waitForStderr(containing:timeout:)``.
    @discardableResult
    public func waitForStdout(containing text: String, timeout: Duration = .seconds(10)) async throws -> String {
        try await waitForOutput(\.stdout, name: "stdout", containing: text, timeout: timeout)
    }

    /// Sends `SIGTERM`, waits up to `grace`, then `SIGKILL`s; returns how the child ended.
    @discardableResult
    public func terminate(grace: Duration = .seconds(3)) async -> Termination? {
        signal(SIGTERM)
        if (try? await waitForExit(timeout: grace)) == nil {
            signal(SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(5))
        }
        closeInput()
        return termination
    }

    /// Sends `SIGTERM` and returns at once; `SIGKILL` follows after `grace` if the child still runs.
    /// For `defer` and `deinit`, which cannot await; to wait for the exit, use ``terminate(grace:)``.
    /// Never blocks the calling thread (a pool thread, in an async test).
    public func stop(grace: Duration = .seconds(3)) {
        signal(SIGTERM)
        closeInput()
        guard isRunning else { return }
        let nanoseconds = Int(clamping: grace.nanoseconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
            signal(SIGKILL)
        }
    }

    /// Waits (up to `timeout`) until both output pipes reached end of file, so `stdout` and `stderr`
    /// are complete. Returns `false` when some descendant still holds a pipe open.
    @discardableResult
    public func waitForOutputToEnd(timeout: Duration = .seconds(2)) async -> Bool {
        (try? await monitor.wait(until: { $0.stdoutClosed && $0.stderrClosed }, timeout: timeout) { "" }) != nil
    }

    private var stderrTail: String { String(stderr.suffix(2000)) }

    private func waitForOutput(
        _ stream: KeyPath<ProcessMonitor.Snapshot, Data> & Sendable,
        name: String,
        containing text: String,
        timeout: Duration
    ) async throws -> String {
        let needle = Data(text.utf8)
        let snapshot = try await monitor.wait(
            until: { $0[keyPath: stream].range(of: needle) != nil || $0.termination != nil },
            timeout: timeout
        ) {
            let soFar = String(decoding: self.monitor.snapshot()[keyPath: stream].suffix(2000), as: UTF8.self)
            return "\(self.executable.lastPathComponent) did not write \(String(reflecting: text)) on \(name) within "
                + "\(timeout); \(name) so far: \(soFar)"
        }
        if snapshot[keyPath: stream].range(of: needle) != nil {
            return String(decoding: snapshot[keyPath: stream], as: UTF8.self)
        }
        // The child ended first; its last bytes may still be in the pipe.
        _ = await waitForOutputToEnd()
        let complete = monitor.snapshot()
        let output = String(decoding: complete[keyPath: stream], as: UTF8.self)
        if complete[keyPath: stream].range(of: needle) != nil { return output }
        throw TestSupportError(
            .unexpectedOutput,
            "\(executable.lastPathComponent) ended (\(complete.termination.map(\.description) ?? "?")) without "
                + "writing \(String(reflecting: text)) on \(name); \(name): \(output.suffix(2000))"
                + (name == "stderr" ? "" : "; stderr: \(stderrTail)")
        )
    }

    /// Reads `fd` on a dedicated thread until end of file, appending to the monitor; closes it.
    private static func drain(
        _ fd: Int32,
        into buffer: WritableKeyPath<ProcessMonitor.Snapshot, Data> & Sendable,
        closed: WritableKeyPath<ProcessMonitor.Snapshot, Bool> & Sendable,
        monitor: ProcessMonitor
    ) {
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    monitor.update { $0[keyPath: buffer].append(contentsOf: chunk[0..<count]) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(fd)
            monitor.update { $0[keyPath: closed] = true }
        }
    }
}
