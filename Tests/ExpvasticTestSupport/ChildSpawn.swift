import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child with `posix_spawn` and reaps it on a thread of its own — what ``RunningProcess``
/// uses instead of Foundation's `Process`.
///
/// Why not `Process`: on Linux (swift-corelibs-foundation up to 6.3.x) `Process.run()` scans
/// `/proc/self/fd` and copies 256 bytes out of every `dirent`, reading past the end of glibc's buffer;
/// with a thousand or more descriptors open (the HTTP server tests hold 2000) that read hits an
/// unmapped page and the whole test process dies with SIGSEGV
/// (swiftlang/swift-corelibs-foundation#5472, fixed after 6.3.1). Waiting in `waitpid` also needs a
/// thread that is not one of the cooperative pool's.
enum ChildSpawn {
    /// A started child: its pid and the parent's ends of its standard streams.
    struct Child {
        var pid: pid_t
        /// Write end of the child's stdin, or nil when stdin is `/dev/null`.
        var stdin: Int32?
        var stdout: Int32
        var stderr: Int32
    }

    /// Starts `executable`. The child gets stdin (a pipe, or `/dev/null`), stdout and stderr pipes,
    /// default signal dispositions, an empty signal mask, and no other descriptor of ours.
    /// `exited` is called once, from the reaper thread, with the raw `waitpid` status.
    static func launch(
        executable: String,
        arguments: [String],
        environment: [String: String],
        currentDirectory: String?,
        pipeStdin: Bool,
        exited: @escaping @Sendable (Int32) -> Void
    ) throws -> Child {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        for index in 0..<(pipeStdin ? 3 : 2) {
            var fds: [Int32] = [-1, -1]
            // pipe2 is not exported; our own spawns close every descriptor above 2 anyway.
            guard pipe(&fds) == 0 else { throw failure("pipe", executable, errno) }
            opened += fds
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            switch index {
            case 0: stdoutPipe = fds
            case 1: stderrPipe = fds
            default: stdinPipe = fds
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipeStdin {
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        guard let closeFrom = addCloseFrom else {
            throw TestSupportError(.launchFailed, "posix_spawn_file_actions_addclosefrom_np needs glibc 2.34 or newer")
        }
        _ = closeFrom(&actions, 3)
        if let currentDirectory {
            guard let chdir = addChdir else {
                throw TestSupportError(.launchFailed, "posix_spawn_file_actions_addchdir_np needs glibc 2.29 or newer")
            }
            _ = chdir(&actions, currentDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw failure("posix_spawn", executable, result) }

        let spawned = pid
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            exited(status)
        }
        reaper.name = "test.reaper"
        reaper.start()

        // The parent keeps its ends; the child's ends close here (the child has its copies).
        opened = [stdoutPipe[1], stderrPipe[1]] + (pipeStdin ? [stdinPipe[0]] : [])
        return Child(pid: pid, stdin: pipeStdin ? stdinPipe[1] : nil, stdout: stdoutPipe[0], stderr: stderrPipe[0])
    }

    /// How a raw `waitpid` status ended: `(exited: true, code)` or `(exited: false, signal)`.
    static func decode(_ status: Int32) -> (exited: Bool, value: Int32) {
        let signal = status & 0x7f
        return signal == 0 ? (true, (status >> 8) & 0xff) : (false, signal)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc has both, but its Swift module does not export these GNU extensions.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }

    private static func failure(_ call: String, _ executable: String, _ code: Int32) -> TestSupportError {
        TestSupportError(.launchFailed, "could not start \(executable): \(call): \(String(cString: strerror(code)))")
    }
}
