import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("RunningProcess: child processes for tests")
struct RunningProcessTests {
    private let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("run returns status, stdout and stderr")
    func runCapturesEverything() async throws {
        let result = try await RunningProcess.run(
            executable: shell,
            arguments: ["-c", "printf 'out\\n'; printf 'err' >&2; exit 3"],
            timeout: .seconds(10)
        )
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err")
    }

    @Test("run feeds stdin and passes the environment")
    func runFeedsInput() async throws {
        let result = try await RunningProcess.run(
            executable: shell,
            arguments: ["-c", "cat; printf \"$EXPVASTIC_PROBE\""],
            environment: ["EXPVASTIC_PROBE": " probe"],
            input: .data(Data("hello".utf8))
        )
        #expect(result.stdout == "hello probe")
    }

    @Test("run kills a child that outlives its deadline")
    func runTimesOut() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: TestSupportError.self) {
            try await RunningProcess.run(
                executable: shell,
                arguments: ["-c", "echo started >&2; exec sleep 30"],
                timeout: .milliseconds(300)
            )
        }
        #expect(error?.code == .timeout)
        #expect(clock.now - started < .seconds(5))
    }

    @Test("SIGTERM reaches the child; its exit status and stderr are reported")
    func signalAndWait() async throws {
        let child = try RunningProcess(
            executable: shell,
            arguments: ["-c", "trap 'echo got-term >&2; exit 7' TERM; echo ready >&2; while :; do sleep 0.05; done"]
        )
        try await child.waitForStderr(containing: "ready", timeout: .seconds(10))
        #expect(child.isRunning)
        child.signal(SIGTERM)
        #expect(try await child.waitForExit(timeout: .seconds(10)) == 7)
        #expect(child.termination == .exited(7))
        #expect(child.stderr.contains("got-term"))
    }

    @Test("SIGKILL is reported as a signal, status 128 + 9")
    func killed() async throws {
        let child = try RunningProcess(executable: shell, arguments: ["-c", "exec sleep 30"])
        child.signal(SIGKILL)
        #expect(try await child.waitForExit(timeout: .seconds(10)) == 137)
        #expect(child.termination == .signalled(SIGKILL))
    }

    @Test("waiting for output fails fast when the child exits without writing it")
    func waitForMissingOutput() async throws {
        let child = try RunningProcess(executable: shell, arguments: ["-c", "echo nope >&2"])
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: TestSupportError.self) {
            try await child.waitForStderr(containing: "ready", timeout: .seconds(20))
        }
        #expect(error?.code == .unexpectedOutput)
        #expect(error?.message.contains("nope") == true)
        #expect(clock.now - started < .seconds(10))
    }

    @Test("waiting for output times out while the child stays silent")
    func waitTimesOut() async throws {
        let child = try RunningProcess(executable: shell, arguments: ["-c", "exec sleep 30"])
        defer { child.stop(grace: .milliseconds(100)) }
        let error = await #expect(throws: TestSupportError.self) {
            try await child.waitForStdout(containing: "never", timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(child.isRunning)
    }

    @Test("a child reading a kept-open stdin ends when the input is closed")
    func closeInputEndsReader() async throws {
        let child = try RunningProcess(executable: shell, arguments: ["-c", "cat >/dev/null; echo eof"], input: .pipe)
        try await Task.sleep(for: .milliseconds(50))
        #expect(child.isRunning)
        child.closeInput()
        #expect(try await child.waitForExit(timeout: .seconds(10)) == 0)
        try await child.waitForStdout(containing: "eof", timeout: .seconds(5))
    }

    @Test("releasing the last reference kills the child")
    func deinitKills() async throws {
        var child: RunningProcess? = try RunningProcess(executable: shell, arguments: ["-c", "exec sleep 30"])
        let pid = try #require(child?.pid)
        #expect(kill(pid, 0) == 0)
        child = nil
        try await eventually("pid \(pid) gone", timeout: .seconds(10)) {
            kill(pid, 0) != 0 || Self.isZombie(pid)
        }
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test("stop ends a child that ignores SIGTERM")
    func stopEscalates() async throws {
        let child = try RunningProcess(
            executable: shell,
            arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"]
        )
        try await child.waitForStdout(containing: "ready", timeout: .seconds(10))
        child.stop(grace: .milliseconds(200))
        // The child ignores SIGTERM, so it is still there: stop returned without waiting.
        #expect(child.isRunning)
        #expect(try await child.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        #expect(child.termination == .signalled(SIGKILL))
    }

    @Test("terminate waits for a child that ignores SIGTERM, then kills it")
    func terminateEscalates() async throws {
        let child = try RunningProcess(
            executable: shell,
            arguments: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"]
        )
        try await child.waitForStdout(containing: "ready", timeout: .seconds(10))
        #expect(await child.terminate(grace: .milliseconds(200)) == .signalled(SIGKILL))
    }
}

@Suite("RunningProcess: descriptor hygiene")
struct RunningProcessDescriptorTests {
    /// Foundation hands each child one end of a socket pair (how it learns of the exit); any other
    /// inherited descriptor, such as another child's pipe, would delay that child's end of file.
    @Test("a child inherits no pipe beyond stdin, stdout and stderr")
    func onlyStandardDescriptors() async throws {
        let other = try RunningProcess(
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "exec sleep 30"],
            input: .pipe
        )
        defer { other.stop(grace: .milliseconds(100)) }
        // A shell waiting in `read` after printing: by then its loader is done (while it runs, the
        // loader briefly holds libc open on descriptor 3, which is not inherited).
        let probe = try RunningProcess(
            executable: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "echo ready; read line"], input: .pipe)
        defer { probe.stop(grace: .milliseconds(100)) }
        try await probe.waitForStdout(containing: "ready", timeout: .seconds(10))
        let directory = "/proc/\(probe.pid)/fd"
        var inherited: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            guard let fd = Int(name), fd > 2 else { continue }
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")) ?? "?"
            if !target.hasPrefix("socket:") { inherited.append("\(fd) -> \(target)") }
        }
        #expect(inherited.isEmpty, "inherited: \(inherited)")
    }
}
